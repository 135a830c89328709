// Builds everything that ships:
//   renderer/dist/          the Svelte UI (vite)
//   dist/cli.mjs            the CLI (bin/slice-studio.mjs runs it)
//   dist/job-worker.mjs     the jobs runner's worker thread
//   dist/electron/main.cjs, dist/electron/preload.cjs
//   dist/bench-pipeline.mjs, dist/bench-slice.mjs, dist/bench-gpu-eigh.mjs  (only with `bench`: benchmarks for the GPU machine, which has no tsx)
// Native and binary-bearing packages stay external: they are loaded from node_modules at run time.
// Usage: node scripts/build.mjs [renderer|node|bench]...   (default: renderer + node)
import { build as esbuild } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const parts = process.argv.slice(2);
const want = (p) => parts.length === 0 || parts.includes(p);

export const EXTERNAL = [
  'electron',
  'onnxruntime-node',
  // onnxruntime-node registers its backend in its own copy of onnxruntime-common: one copy only.
  'onnxruntime-common',
  'better-sqlite3',
  // llama.cpp's prebuilt binaries are picked per platform at run time from its optional packages.
  'node-llama-cpp',
  // ws's optional native speed-ups, absent here.
  'bufferutil',
  'utf-8-validate',
];

// ESM bundles of CommonJS packages need a real `require` for Node built-ins.
const ESM_BANNER = "import { createRequire as __ssCreateRequire } from 'node:module'; const require = __ssCreateRequire(import.meta.url);";
// CommonJS bundles (Electron) have no import.meta: core/ uses import.meta.url to find its files.
const CJS_BANNER = "const __ssImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

// keepNames: user errors take their name from their class (core/base/user-error.ts); bundling must not rename one.
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning', external: EXTERNAL, keepNames: true };

export async function buildNode(outdir = join(root, 'dist')) {
  await esbuild({
    ...common,
    entryPoints: { cli: join(root, 'core/transports/cli/main.ts'), 'job-worker': join(root, 'core/jobs/worker.ts') },
    outdir,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: { js: ESM_BANNER },
  });
  await esbuild({
    ...common,
    entryPoints: { main: join(root, 'electron/main.ts') },
    outdir: join(outdir, 'electron'),
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    banner: { js: CJS_BANNER },
    // import.meta.resolve only serves the TypeScript (dev) worker, never used from a bundle.
    define: { 'import.meta.url': '__ssImportMetaUrl', 'import.meta.resolve': 'undefined' },
  });
  // The sandboxed preload can require only 'electron' (and a few built-ins): everything else is inlined.
  await esbuild({
    ...common,
    platform: 'browser',
    target: 'chrome120',
    entryPoints: { preload: join(root, 'electron/preload.ts') },
    outdir: join(outdir, 'electron'),
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
  });
}

/**
 * The pipeline benchmark (and the slice benchmark, for the synthetic 70B layer) as one ESM file each. It needs at run time only the external packages it reaches:
 * onnxruntime-node (+ onnxruntime-common) and node-llama-cpp (the GGUF check) — not better-sqlite3 (no store).
 */
export async function buildBench(outdir = join(root, 'dist')) {
  await esbuild({
    ...common,
    entryPoints: {
      'bench-pipeline': join(root, 'bench/lib/pipeline-entry.ts'),
      'bench-slice': join(root, 'bench/lib/slice-entry.ts'),
      'bench-ep-diff': join(root, 'bench/lib/ep-diff-entry.ts'),
      'bench-recover': join(root, 'bench/lib/recover-entry.ts'),
      'bench-gpu-eigh': join(root, 'bench/lib/gpu-eigh-entry.ts'),
      'bench-infer-speed': join(root, 'bench/lib/infer-speed-entry.ts'),
      'bench-llama-speed': join(root, 'bench/lib/llama-speed-entry.ts'),
      'bench-wgsl-decode': join(root, 'bench/lib/wgsl-decode-entry.ts'),
      'bench-eval-speed': join(root, 'bench/lib/eval-speed-entry.ts'),
    },
    outdir,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: { js: ESM_BANNER },
  });
}

export async function buildRenderer() {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  if (want('renderer')) await buildRenderer();
  if (want('node')) {
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    await buildNode();
  }
  if (parts.includes('bench')) await buildBench();
  console.log(`built ${parts.length ? parts.join(' + ') : 'renderer + node'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
