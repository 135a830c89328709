// The GPU eigensolver bench as one esbuild entry (dist/bench-gpu-eigh.mjs) for the GPU machine, which has no tsx:
// `node dist/bench-gpu-eigh.mjs --sizes 1024,4096,8192 --dump DIR` (scripts/build.mjs bench).
import { main } from '../gpu-eigh';

await main(process.argv.slice(2));
