// The node_modules packages dist/bench-pipeline.mjs loads at run time beyond what ../shared/device/prepare.sh
// always packs (onnxruntime-node, onnxruntime-common): node-llama-cpp with its whole dependency tree and its
// prebuilt Linux x64 CPU binaries (the CUDA builds are 180–360 MB, past the 64 MiB a device call carries).
// Usage: ../shared/device/prepare.sh $(node scripts/device-packages.mjs)
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nm = fileURLToPath(new URL('../node_modules', import.meta.url));
const seen = new Set();
(function walk(name) {
  if (seen.has(name) || !existsSync(join(nm, name, 'package.json'))) return;
  seen.add(name);
  const p = JSON.parse(readFileSync(join(nm, name, 'package.json'), 'utf8'));
  for (const d of Object.keys(p.dependencies ?? {})) walk(d);
})('node-llama-cpp');
seen.add('@node-llama-cpp/linux-x64');
console.log([...seen].sort().join(' '));
