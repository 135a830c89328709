// Child process for device-oom.test.ts: one attention pass of tiny-llama's first layer through the device
// engine (the GPU path, here on the CPU EP) at batch × seq windows; prints the outcome as one JSON line.
// The parent runs it under a data-size limit, so ORT's own arena allocation fails for real.
import { openModel } from '../../core/model/source';
import { fuseLayer } from '../../core/slicegpt/fuse';
import { createSignalEngine } from '../../core/slicegpt/engine';
import { userMessage, isUserError } from '../../core/base/user-error';
import { sharedModel } from '../shared';

const [batch, seq] = process.argv.slice(2).map(Number);
const src = await openModel(sharedModel('tiny-llama'));
const layer = fuseLayer(src.config, await src.layer(0));
if (layer.kind !== 'sequential') throw new Error('tiny-llama has sequential blocks');
const { engine, runner } = await createSignalEngine(src.arch, 'cpu', { kind: 'device', passDtype: 'f32' });
const x = new Float32Array(batch * seq * src.config.hiddenSize).fill(0.01);
try {
  const y = await engine.attention(layer.attn, x, batch, seq);
  engine.release(y);
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, name: (e as Error).name, message: (e as Error).message, user: isUserError(e), shown: userMessage(e).message })}\n`);
} finally {
  await runner.dispose();
}
