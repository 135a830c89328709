// The node_modules packages dist/bench-pipeline.mjs loads at run time beyond what ../shared/device/prepare.sh
// always packs (onnxruntime-node, onnxruntime-common): node-llama-cpp with its whole dependency tree and its
// prebuilt Linux x64 CPU binaries (the CUDA builds are 180–360 MB, past the 64 MiB a device call carries).
// A package copied whole brings its nested node_modules along; their dependencies that npm hoisted to the top
// level are walked too (ora's nested string-width needs the top-level get-east-asian-width).
// Usage: ../shared/device/prepare.sh $(node scripts/device-packages.mjs)
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nm = fileURLToPath(new URL('../node_modules', import.meta.url));
const seen = new Set();

/** Package folders under a node_modules folder (scoped ones included). */
const packagesIn = (dir) => (!existsSync(dir) ? [] : readdirSync(dir).flatMap((n) => (n.startsWith('@') ? readdirSync(join(dir, n)).map((m) => join(dir, n, m)) : n.startsWith('.') ? [] : [join(dir, n)])));

/** Dependencies of the package in `dir`, resolved as Node does: its own nested node_modules first, then the top. */
function walkDeps(dir) {
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const d of Object.keys(p.dependencies ?? {})) {
    const nested = join(dir, 'node_modules', d);
    if (existsSync(join(nested, 'package.json'))) walkDeps(nested);
    else walk(d);
  }
  for (const inner of packagesIn(join(dir, 'node_modules'))) if (existsSync(join(inner, 'package.json'))) walkDeps(inner);
}

function walk(name) {
  if (seen.has(name) || !existsSync(join(nm, name, 'package.json'))) return;
  seen.add(name);
  walkDeps(join(nm, name));
}
walk('node-llama-cpp');
seen.add('@node-llama-cpp/linux-x64');
console.log([...seen].sort().join(' '));
