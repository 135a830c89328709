// Child process for decode-oom.test.ts: the speed bench's prefill of tiny-stories at `batch` rows × `seq`
// tokens (the KV-cache step generation shares), on the CPU EP; prints the outcome as one JSON line. The parent
// runs it under a data-size limit, so ORT's own arena allocation of the attention scores fails for real.
// `gpu`: the same real ORT error, as a GPU execution provider (cuda) would report it (inferenceFailure).
import { bench } from '../../core/eval/speed';
import { quietContext } from '../../core/base/job-context';
import { inferenceFailure } from '../../core/runtime/device-failure';
import { userMessage, isUserError } from '../../core/base/user-error';
import { sharedModel } from '../shared';

const [batch, seq] = process.argv.slice(2).map(Number);
try {
  await bench(quietContext(), { model: sharedModel('tiny-stories'), promptTokens: seq, prefillBatch: batch, decodePrompt: 8, decodeBatch: 1, newTokens: 2, repeats: 1 });
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (e) {
  const ort = (e as Error).cause;
  const gpu = ort === undefined ? null : userMessage(inferenceFailure('cuda', ort, batch, seq)).message;
  process.stdout.write(`${JSON.stringify({ ok: false, name: (e as Error).name, message: (e as Error).message, user: isUserError(e), shown: userMessage(e).message, gpu })}\n`);
}
