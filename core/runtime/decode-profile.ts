// Session runs and host↔device traffic of decoding, counted as a GPU EP would move them (transfer-count.ts):
// one prompt pass, then greedy one-token steps, each phase's counts apart. Counts, not timings — the same
// on the CPU EP (with `resident: 'always'`) as on WebGPU, so what a decode step does on a GPU can be
// checked on a machine without one. What `bench infer-speed --profile` prints.
import { greedyDecode, type DecodeWeights } from './decode-step';
import type { OrtRunner } from './runner';
import { takeTransferCounts, type TransferCounts, type TransferTally } from './transfer-count';

export interface TallyRow {
  runs: number;
  hostFedRuns: number;
  syncs: number;
  uploadMB: number;
  downloadMB: number;
}

export interface DecodeProfile {
  batch: number;
  promptTokens: number;
  /** The prompt pass (its first-use weight uploads included unless the runner ran before). */
  prefill: TallyRow & { byKind: Record<string, TallyRow> };
  /** One decoding step (mean over `steps`): ids in, logits out. */
  perToken: TallyRow & { byKind: Record<string, TallyRow> };
  steps: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 1e4) / 1e4;
const round = (x: number) => Math.round(x * 1e3) / 1e3;
const row = (t: TransferTally, n: number): TallyRow => ({ runs: round(t.runs / n), hostFedRuns: round(t.hostFedRuns / n), syncs: round(t.syncs / n), uploadMB: mb(t.uploadBytes / n), downloadMB: mb(t.downloadBytes / n) });
const table = (c: TransferCounts, n: number) => ({ ...row(c, n), byKind: Object.fromEntries(Object.entries(c.byKind).map(([k, t]) => [k, row(t, n)])) });

/** Counts of the prompt pass of `prompt` ([batch, P]) and of `steps` greedy steps after it; returns the greedy ids too. */
export async function profileDecoding(r: OrtRunner, w: DecodeWeights, prompt: Int32Array, batch: number, steps: number): Promise<DecodeProfile & { ids: Int32Array[] }> {
  takeTransferCounts();
  let prefill: TransferCounts | undefined;
  const ids = await greedyDecode(r, w, prompt, batch, steps, { afterPrompt: () => (prefill = takeTransferCounts()) });
  const decode = takeTransferCounts();
  return { batch, promptTokens: prompt.length / batch, prefill: table(prefill!, 1), perToken: table(decode, Math.max(1, steps)), steps, ids };
}
