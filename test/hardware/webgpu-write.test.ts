// Host → GPU writes in pieces (core/hardware/webgpu-write.ts): every float lands at its offset, and shared memory
// (the PCA's upload from worker threads) reaches writeBuffer only as plain copies — Dawn for Node crashes the process
// on a SharedArrayBuffer view (reproduced with its null backend, below).
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARED_PIECE_BYTES, WRITE_PIECE_BYTES, writeInPieces } from '../../core/hardware/webgpu-write';
import type { GpuBuffer, GpuQueue } from '../../core/hardware/webgpu-types';

/** A queue that keeps a copy of each write (the data as it was at the call, as writeBuffer takes it). */
function recorder(): { queue: GpuQueue; writes: { offset: number; shared: boolean; data: Float32Array }[] } {
  const writes: { offset: number; shared: boolean; data: Float32Array }[] = [];
  const queue = {
    writeBuffer: (_b: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer) => {
      const f = data as Float32Array;
      writes.push({ offset, shared: f.buffer instanceof SharedArrayBuffer, data: f.slice() });
    },
  } as unknown as GpuQueue;
  return { queue, writes };
}

function check(data: Float32Array, offset: number, writes: { offset: number; data: Float32Array }[]): void {
  const got = new Float32Array(data.length);
  for (const w of writes) got.set(w.data, (w.offset - offset) / 4);
  assert.deepEqual(got, new Float32Array(data));
  assert.equal(
    writes.reduce((a, w) => a + w.data.length, 0),
    data.length,
  );
}

test('shared data goes up in plain pieces of SHARED_PIECE_BYTES, each its own copy, every float at its offset', () => {
  const n = (SHARED_PIECE_BYTES / 4) * 2 + 1000; // two whole pieces and a part
  const data = new Float32Array(new SharedArrayBuffer(n * 4));
  for (let i = 0; i < n; i++) data[i] = i;
  const { queue, writes } = recorder();
  writeInPieces(queue, {} as GpuBuffer, data, 64);
  assert.equal(writes.length, 3);
  assert.ok(writes.every((w) => !w.shared));
  assert.deepEqual(
    writes.map((w) => w.offset),
    [64, 64 + SHARED_PIECE_BYTES, 64 + 2 * SHARED_PIECE_BYTES],
  );
  check(data, 64, writes);
});

test('plain data goes up as views of itself in pieces of WRITE_PIECE_BYTES', () => {
  const data = new Float32Array(1000).map((_, i) => i * 0.5);
  const seen: unknown[] = [];
  const queue = { writeBuffer: (_b: GpuBuffer, _o: number, d: Float32Array) => seen.push(d.buffer) } as unknown as GpuQueue;
  writeInPieces(queue, {} as GpuBuffer, data);
  assert.deepEqual(seen, [data.buffer]);
  assert.ok(WRITE_PIECE_BYTES >= SHARED_PIECE_BYTES);
});

test("Dawn's null backend takes a shared upload through writeInPieces; a shared view given to writeBuffer itself kills the process", async (t) => {
  let mod: { create?: (o: string[]) => { requestAdapter(): Promise<unknown> } };
  try {
    const name = 'webgpu';
    mod = (await import(name)) as typeof mod;
  } catch {
    return t.skip('no webgpu package');
  }
  // The entry is kept referenced while its device lives (a collected instance crashes the device).
  const entry = mod.create!(['backend=null']);
  const adapter = (await entry.requestAdapter()) as { requestDevice(): Promise<{ createBuffer(d: object): GpuBuffer; queue: GpuQueue; destroy(): void }> } | null;
  if (!adapter) return t.skip("Dawn's null backend is not available");
  const device = await adapter.requestDevice();
  const n = (SHARED_PIECE_BYTES / 4) * 2 + 4;
  const b = device.createBuffer({ size: n * 4, usage: 0x80 | 0x8 }); // STORAGE | COPY_DST
  const data = new Float32Array(new SharedArrayBuffer(n * 4)).fill(1);
  writeInPieces(device.queue, b, data);
  device.destroy();
  assert.ok(entry, 'alive after the shared upload');
  // The same shared array handed to writeBuffer directly, in a process of its own (when a newer webgpu survives this,
  // writeInPieces' plain copies can go).
  const script = `const { create, globals } = require('webgpu'); Object.assign(globalThis, globals);
    (async () => { const g = create(['backend=null']); const d = await (await g.requestAdapter()).requestDevice();
      const b = d.createBuffer({ size: 64, usage: 0x88 }); d.queue.writeBuffer(b, 0, new Float32Array(new SharedArrayBuffer(64)));
      console.log('survived'); d.destroy(); process.exit(0); })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGSEGV', `${r.status} ${r.signal} ${r.stdout}`);
});
