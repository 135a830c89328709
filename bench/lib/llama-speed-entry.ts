// The llama.cpp speed bench as one esbuild entry (dist/bench-llama-speed.mjs) for the GPU machine, which has no
// tsx: `node dist/bench-llama-speed.mjs --dense A --sliced B --gpu vulkan [flags]` (bench/llama-speed.ts).
import { main } from '../llama-speed';

await main(process.argv.slice(2));
