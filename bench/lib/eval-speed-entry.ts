// The evaluation-speed bench as one esbuild entry (dist/bench-eval-speed.mjs) for the GPU machine, which has no tsx.
import { main } from '../eval-speed';

await main(process.argv.slice(2));
