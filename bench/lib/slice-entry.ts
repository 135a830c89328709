// The slice bench as one esbuild entry (dist/bench-slice.mjs) for the GPU machine, which has no tsx:
// `node dist/bench-slice.mjs --synthetic llama-2-70b --configs-dir DIR [flags]` (scripts/build.mjs bench).
import { main } from '../slice';

await main(process.argv.slice(2));
