// The WGSL decoder's speed bench as one esbuild entry (dist/bench-wgsl-decode.mjs) for the GPU machine, which has no
// tsx: `node dist/bench-wgsl-decode.mjs --gemv 16x8,32x4,32x8,64x4` (scripts/build.mjs bench).
import { main } from '../wgsl-decode';

await main(process.argv.slice(2));
