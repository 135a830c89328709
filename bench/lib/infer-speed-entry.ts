// The inference-speed bench as one esbuild entry (dist/bench-infer-speed.mjs) for the GPU machine, which has no tsx.
import { main } from '../infer-speed';

await main(process.argv.slice(2));
