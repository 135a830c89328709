// The ep-diff bench as one esbuild entry (dist/bench-ep-diff.mjs) for the GPU machine, which has no tsx:
// `node dist/bench-ep-diff.mjs <sliced-folder> --a cpu --b webgpu --windows 4` (scripts/build.mjs bench).
import { main } from '../ep-diff';

await main(process.argv.slice(2));
