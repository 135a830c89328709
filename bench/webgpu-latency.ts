// `npm run bench -- webgpu-latency [--ep webgpu] [--sizes 4096,8192]`: the per-call costs that decide how an
// eigensolver can use ORT on a GPU EP — a tiny run with host input and output (upload + download + sync),
// device-resident chains of K elementwise nodes without sync (per-run and per-node dispatch cost), the same
// chain synced each run, a device-resident matrix times 1–8 host vectors with a host result (one
// Householder column's round trip), the same pipelined on the device, a square GEMM, and n×n transfers.
// Prints one JSON document (microseconds per call unless named otherwise).
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../core/onnx/graph';
import { executionProviders } from '../core/runtime/ep-options';
import type { ExecutionProvider } from '../core/runtime/contract';

const now = () => performance.now();

export async function main(args: string[]): Promise<void> {
  const at = (f: string) => args.indexOf(f);
  const ep = (at('--ep') >= 0 ? args[at('--ep') + 1] : 'webgpu') as ExecutionProvider;
  const sizes = at('--sizes') >= 0 ? args[at('--sizes') + 1].split(',').map(Number) : [4096, 8192];
  const reps = at('--reps') >= 0 ? Number(args[at('--reps') + 1]) : 200;
  const onDevice = ep !== 'cpu';
  const session = (g: GraphBuilder, gpuOut: boolean) =>
    ort.InferenceSession.create(g.toBytes(), {
      executionProviders: executionProviders(ep, { passes: true }),
      graphOptimizationLevel: 'disabled',
      ...(gpuOut && onDevice ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    });
  const id = (gpuOut: boolean, dims: (string | number)[] = ['A', 'B']) => {
    const g = new GraphBuilder('id');
    g.input('x', 'float32', dims);
    g.node('Identity', ['x'], {}, { out: 'y' });
    g.output('y', 'float32');
    return session(g, gpuOut);
  };
  const up = await id(true);
  const down = await id(false);
  const sumG = new GraphBuilder('sum');
  sumG.input('x', 'float32', ['A', 'B']);
  sumG.node('ReduceSum', ['x'], { keepdims: 0 }, { out: 'y' });
  sumG.output('y', 'float32');
  const sum = await session(sumG, false);
  const upload = async (data: Float32Array, r: number, c: number) => (await up.run({ x: new ort.Tensor('float32', data, [r, c]) })).y;
  const sync = async (t: ort.Tensor) => {
    await sum.run({ x: t });
  };
  const free = (t: ort.Tensor) => {
    if (t.location !== 'cpu') t.dispose();
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out: Record<string, unknown> = { bench: 'webgpu-latency', ep };

  // 1. tiny run, host in/out: every call uploads, runs, downloads and waits.
  {
    const g = new GraphBuilder('tiny');
    g.input('x', 'float32', [1, 8]);
    g.input('z', 'float32', [1, 8]);
    g.node('Add', ['x', 'z'], {}, { out: 'y' });
    g.output('y', 'float32');
    const s = await session(g, false);
    const x = new ort.Tensor('float32', new Float32Array(8), [1, 8]);
    const ts: number[] = [];
    for (let r = 0; r < reps + 20; r++) {
      const t = now();
      await s.run({ x, z: x });
      if (r >= 20) ts.push((now() - t) * 1000);
    }
    out.tinyHostRoundTripUs = median(ts);
  }
  // 2./3. chains of K Adds on an 8192-vector, device resident.
  for (const K of [1, 8, 32]) {
    const g = new GraphBuilder('chain');
    g.input('x', 'float32', [8192, 1]);
    let v = 'x';
    for (let k = 0; k < K; k++) v = g.node('Add', [v, 'x'], {}, k === K - 1 ? { out: 'y' } : {});
    g.output('y', 'float32');
    const s = await session(g, true);
    let x = await upload(new Float32Array(8192).fill(1e-6), 8192, 1);
    await sync(x);
    let t = now();
    for (let r = 0; r < reps; r++) {
      const y = (await s.run({ x })).y;
      free(x);
      x = y;
    }
    await sync(x);
    out[`chain${K}PipelinedUs`] = ((now() - t) * 1000) / reps;
    t = now();
    for (let r = 0; r < reps; r++) {
      const y = (await s.run({ x })).y;
      free(x);
      x = y;
      await sync(x);
    }
    out[`chain${K}SyncedUs`] = ((now() - t) * 1000) / reps;
    free(x);
  }
  // 4. matrix (device) × host vectors → host result, per call; and pipelined device-only.
  const mv = new GraphBuilder('mv');
  mv.input('A', 'float32', ['M', 'M']);
  mv.input('x', 'float32', ['M', 'K']);
  mv.node('MatMul', ['A', 'x'], {}, { out: 'y' });
  mv.output('y', 'float32');
  const mvHost = await session(mv, false);
  const mvDev = await session(mv, true);
  for (const n of sizes) {
    const a = new Float32Array(n * n);
    for (let i = 0; i < a.length; i++) a[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    let t = now();
    const A = await upload(a, n, n);
    await sync(A);
    out[`upload${n}Ms`] = now() - t;
    t = now();
    const back = (await down.run({ x: A })).y.data as Float32Array;
    out[`download${n}Ms`] = now() - t;
    if (back[n + 1] !== a[n + 1]) out[`download${n}Mismatch`] = true;
    for (const K of [1, 2, 8]) {
      const x = new ort.Tensor('float32', new Float32Array(n * K).fill(0.001), [n, K]);
      for (let w = 0; w < 5; w++) await mvHost.run({ A, x });
      t = now();
      const R = Math.min(reps, 100);
      for (let r = 0; r < R; r++) await mvHost.run({ A, x });
      out[`matvec${n}x${K}HostRoundTripUs`] = ((now() - t) * 1000) / R;
      const xd = await upload(new Float32Array(n * K).fill(0.001), n, K);
      let last: ort.Tensor | null = null;
      t = now();
      for (let r = 0; r < R; r++) {
        if (last) free(last);
        last = (await mvDev.run({ A, x: xd })).y;
      }
      await sync(last!);
      out[`matvec${n}x${K}PipelinedUs`] = ((now() - t) * 1000) / R;
      free(last!);
      free(xd);
    }
    // 5. square GEMM on device-resident inputs.
    const g = (await mvDev.run({ A, x: A })).y;
    await sync(g);
    free(g);
    t = now();
    let last: ort.Tensor | null = null;
    for (let r = 0; r < 3; r++) {
      if (last) free(last);
      last = (await mvDev.run({ A, x: A })).y;
    }
    await sync(last!);
    free(last!);
    out[`gemm${n}TflopS`] = (3 * 2 * n ** 3) / ((now() - t) / 1000) / 1e12;
    free(A);
  }
  console.log(JSON.stringify(out, null, 2));
}
