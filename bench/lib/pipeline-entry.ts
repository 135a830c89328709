// The pipeline bench as one esbuild entry (dist/bench-pipeline.mjs) for the GPU machine, which has no tsx:
// `node dist/bench-pipeline.mjs --config … [flags]` (scripts/build.mjs bench).
import { main } from '../pipeline';

await main(process.argv.slice(2));
