// The training-step bench as one esbuild entry (dist/bench-recover.mjs) for the GPU machine, which has no
// tsx: `node dist/bench-recover.mjs --model <sliced folder> | --synthetic llama-2-7b --configs-dir DIR [flags]`.
import { main } from '../recover-step';

await main(process.argv.slice(2));
