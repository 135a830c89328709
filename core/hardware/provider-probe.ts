// Which onnxruntime-node execution providers can actually start on this machine. Each probe builds a
// one-Add-node session with `executionProviders: [ep]`, runs it once and checks the sum — in a CHILD
// process with a timeout, because a broken GPU driver can abort or hang the process that loads it, and
// that must not be the app.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { ExecutionProvider, ProviderProbe } from './types';
import { buildAddModel } from './onnx-probe-model';

/** Providers worth trying per OS (onnxruntime-node 1.30 ships cpu + webgpu everywhere, dml on Windows,
 *  coreml on macOS; cuda needs its separately installed provider library on Linux/Windows x64). */
export function candidateProviders(platform: NodeJS.Platform = process.platform): ExecutionProvider[] {
  switch (platform) {
    case 'win32':
      return ['cpu', 'cuda', 'dml', 'webgpu'];
    case 'darwin':
      return ['cpu', 'coreml', 'webgpu'];
    default:
      return ['cpu', 'cuda', 'webgpu'];
  }
}

// Runs in the child: plain ESM, no TypeScript, so it starts with bare node (or an Electron utility process).
const CHILD = `
const [ortPath, ep, modelB64] = process.argv.slice(-3);
const say = (o) => { process.stdout.write(JSON.stringify(o) + '\\n'); };
try {
  const ort = (await import(ortPath)).default ?? (await import(ortPath));
  const s = await ort.InferenceSession.create(Buffer.from(modelB64, 'base64'), { executionProviders: [ep], logSeverityLevel: 4 });
  const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]);
  const y = (await s.run({ A: a, B: a })).Y.data;
  const ok = y.length === 4 && y.every((v, i) => v === 2 * (i + 1));
  say(ok ? { ok: true } : { ok: false, error: 'session ran but computed a wrong sum ' + JSON.stringify(Array.from(y)) });
} catch (e) {
  say({ ok: false, error: String(e && e.message || e) });
}
`;

function ortEntry(): string {
  // A file URL, so the child's dynamic import() works on Windows drive paths too.
  return pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
}

/** Turn onnxruntime's internal message into one line a user can act on. */
export function explainFailure(ep: ExecutionProvider, message: string, stderr = ''): string {
  const text = `${message}\n${stderr}`;
  const clean = (s: string) =>
    s
      .replace(/\/onnxruntime_src\/\S+:\d+\s*/g, '')
      .replace(/onnxruntime::\S+\s*/g, '')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 240);
  if (ep === 'webgpu') {
    const m = /Failed to get a WebGPU adapter:?\s*([^\n]*)/i.exec(text);
    if (m) {
      const vulkan = /Couldn't load Vulkan: ([^\n]*)/.exec(text);
      return `no WebGPU adapter: ${clean(m[1]) || 'none found'}${vulkan ? ` (Vulkan: ${clean(vulkan[1])})` : ''}`;
    }
  }
  if (ep === 'cuda' && /Failed to load (shared )?library|providers_shared|libonnxruntime_providers_cuda/i.test(text))
    return 'CUDA provider library not installed or CUDA 12/cuDNN not found (install it: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js)';
  if (/not supported|No such provider|Unsupported/i.test(message)) return `${ep} is not available in this onnxruntime-node build: ${clean(message)}`;
  return `${ep} failed to start: ${clean(message) || 'unknown error'}`;
}

/** The probe's child process, whatever started it (a Node child process or an Electron utility process). */
export interface ProbeChild {
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  kill(): void;
  /** Called once when the child has ended: its exit code, or the signal that ended it. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  onError(listener: (e: Error) => void): void;
}

/** Starts `source` (an ES module's text) with `args` as the last entries of its process.argv. */
export type ProbeLauncher = (source: string, args: string[]) => ProbeChild;

/**
 * Plain Node: `node -e`. Never Electron's binary: with the RunAsNode fuse off it would start a second app,
 * so the desktop shell installs a utility-process launcher (electron/probe-launcher.ts) instead.
 */
export const nodeProbeLauncher: ProbeLauncher = (source, args) => {
  if (process.versions.electron) throw new Error('no provider-probe launcher installed in this Electron process');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source, '--', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    kill: () => child.kill('SIGKILL'),
    onExit: (l) => child.on('close', (code, signal) => l(code, signal)),
    onError: (l) => child.on('error', l),
  };
};

let launcher: ProbeLauncher = nodeProbeLauncher;

/** The Electron main process installs its utility-process launcher here before any probe runs. */
export function setProbeLauncher(l: ProbeLauncher): void {
  launcher = l;
}

export async function probeProvider(ep: ExecutionProvider, timeoutMs = 20000): Promise<ProviderProbe> {
  let ortPath: string;
  try {
    ortPath = ortEntry();
  } catch {
    return { ep, available: false, reason: 'onnxruntime-node is not installed' };
  }
  const model = Buffer.from(buildAddModel()).toString('base64');
  return new Promise((resolve) => {
    let child: ProbeChild;
    try {
      child = launcher(CHILD, [ortPath, ep, model]);
    } catch (e) {
      resolve({ ep, available: false, reason: `could not start the probe process: ${(e as Error).message}` });
      return;
    }
    let out = '';
    let err = '';
    let settled = false;
    const done = (p: ProviderProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(p);
    };
    const timer = setTimeout(() => {
      child.kill();
      done({ ep, available: false, reason: `${ep} probe did not finish within ${Math.round(timeoutMs / 1000)} s (driver hang?)` });
    }, timeoutMs);
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err += d));
    child.onError((e) => done({ ep, available: false, reason: `could not start the probe process: ${e.message}` }));
    child.onExit((code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      let r: { ok: boolean; error?: string } | null = null;
      try {
        r = JSON.parse(line);
      } catch {
        r = null;
      }
      if (r?.ok) return done({ ep, available: true, reason: ep === 'cpu' ? 'CPU session started' : `${ep} session started and computed correctly` });
      if (r) return done({ ep, available: false, reason: explainFailure(ep, r.error ?? '', err) });
      done({ ep, available: false, reason: `${ep} probe crashed (${signal ?? `exit code ${code}`})${err ? `: ${explainFailure(ep, err)}` : ''}` });
    });
  });
}

export async function probeProviders(eps: ExecutionProvider[] = candidateProviders(), timeoutMs?: number): Promise<ProviderProbe[]> {
  return Promise.all(eps.map((ep) => probeProvider(ep, timeoutMs)));
}

const PREFERENCE: ExecutionProvider[] = ['cuda', 'dml', 'coreml', 'webgpu'];

/** A working GPU provider (cuda > dml > coreml > webgpu), else cpu — with the reason in words. */
export function chooseProvider(probes: ProviderProbe[]): { ep: ExecutionProvider; reason: string } {
  for (const ep of PREFERENCE) {
    const p = probes.find((x) => x.ep === ep && x.available);
    if (p) return { ep, reason: `${ep} is the fastest provider that starts here (${p.reason})` };
  }
  const failed = probes.filter((p) => p.ep !== 'cpu' && !p.available);
  if (!probes.length) return { ep: 'cpu', reason: 'providers were not probed; cpu always works' };
  return {
    ep: 'cpu',
    reason: failed.length ? `no GPU provider could start — ${failed.map((p) => `${p.ep}: ${p.reason}`).join('; ')}` : 'no GPU provider is available on this platform',
  };
}
