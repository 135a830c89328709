// The files node-llama-cpp needs at run time, for bench/device/kit.sh's llama kit: its package and the closure of its
// dependencies as Node resolves them from here (nested node_modules first), less what running a prebuilt binary
// never reads (the llama.cpp source bundle, source maps, typings, .bin links), plus the named prebuilt binary
// packages (@node-llama-cpp/<name>). One path a line, relative to the repository root (node_modules/…), for tar -T.
//   node bench/device/llama-files.mjs linux-x64-vulkan linux-x64
// (scripts/device-packages.mjs names whole packages for ../shared/device/prepare.sh; whole, node-llama-cpp brings its
// 34 MB llama.cpp source bundle along, which this list leaves out.)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binaries = process.argv.slice(2);
if (!binaries.length) throw new Error('usage: node bench/device/llama-files.mjs <@node-llama-cpp package name>…');
const SKIP = /(\.map|\.d\.ts|\.d\.cts|\.d\.mts|\.md)$|^node_modules\/node-llama-cpp\/llama\/gitRelease\.bundle$|\/node_modules\/\.bin(\/|$)/;

/** Where `name` resolves from package folder `from`: its own node_modules, then each folder above up to the root. */
function find(from, name) {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return p;
    if (d === root || d === dirname(d)) return null;
  }
}

const packages = new Set();
const stack = [join(root, 'node_modules', 'node-llama-cpp'), ...binaries.map((b) => join(root, 'node_modules', '@node-llama-cpp', b))];
while (stack.length) {
  const p = stack.pop();
  if (packages.has(p)) continue;
  if (!existsSync(join(p, 'package.json'))) throw new Error(`not installed: ${relative(root, p)}`);
  packages.add(p);
  const pk = JSON.parse(readFileSync(join(p, 'package.json'), 'utf8'));
  // Optional dependencies other than the per-platform binaries (those are named on the command line).
  const optional = Object.keys(pk.optionalDependencies ?? {}).filter((n) => !n.startsWith('@node-llama-cpp/'));
  for (const n of [...Object.keys(pk.dependencies ?? {}), ...optional]) {
    const q = find(p, n);
    if (q) stack.push(q);
    else if (!optional.includes(n)) throw new Error(`${relative(root, p)} needs ${n}, which is not installed`);
  }
}

/** A package's own files (its nested node_modules are packages of their own, listed where the closure reaches them). */
function* files(dir, top) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.name === 'node_modules' && dir === top) continue;
    const rel = relative(root, p);
    if (SKIP.test(rel)) continue;
    if (statSync(p).isDirectory()) yield* files(p, top);
    else yield rel;
  }
}
for (const p of packages) for (const f of files(p, p)) console.log(f);
