// The plan's explanation names the types the GGUF file will really hold for its embedding and head — the ones
// llama.cpp's rules give token_embd and output.weight (plan/gguf-types.ts), which the exporter writes — not the
// format's nominal embedding type: a dense tied model's token_embd is also its head and takes the output rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ggufExportTensors } from '../../core/export/gguf/index';
import { GgmlType } from '../../core/export/gguf/constants';
import { estimate, parseGpuList } from '../../core/plan/index';
import { fixture } from './gguf-compare';

const weightsLine = (lines: string[]): string => lines.find((l) => l.startsWith('Weights in '))!;
const exportedType = (c: ReturnType<typeof fixture>, o: { width: number; sliced: boolean }, name: string): string => GgmlType[ggufExportTensors(c, { ...o, dtype: 'q4_k_m' }).find((t) => t.name === name)!.type].toLowerCase();

test('dense tied Llama-3.2-1B in Q4_K_M: the explanation says embedding q6_k (the output rule), the type the exporter writes, and that token_embd is the head', () => {
  const c = fixture('llama-3.2-1b.json');
  const e = estimate(c, parseGpuList('24'), 0, { format: 'q4_k_m' });
  const line = weightsLine(e.explain);
  assert.equal(exportedType(c, { width: c.hiddenSize, sliced: false }, 'token_embd.weight'), 'q6_k');
  assert.match(line, /, embedding q6_k \(not q4_k: the tied head is token_embd, which llama\.cpp types as the output\), head token_embd itself \(no output\.weight\),/);
  assert.doesNotMatch(line, /embedding q4_k[,)]/);
});

test('a uniform slice of tied Llama-3.2-1B in Q4_K_M: embedding q4_k and head q6_k, each as exported', () => {
  const c = fixture('llama-3.2-1b.json');
  const e = estimate(c, parseGpuList('24'), 0.25, { format: 'q4_k_m', rotation: 'uniform' });
  const o = { width: e.d, sliced: true };
  assert.equal(exportedType(c, o, 'token_embd.weight'), 'q4_k');
  assert.equal(exportedType(c, o, 'output.weight'), 'q6_k');
  assert.match(weightsLine(e.explain), /, embedding q4_k, head q6_k, /);
});

test('an untied model and a non-GGUF format keep the nominal types in the explanation', () => {
  const c = fixture('llama-3.2-1b.json');
  assert.match(weightsLine(estimate(c, parseGpuList('24'), 0, { format: 'fp16' }).explain), /, embedding f16, head f16, /);
  const untied = { ...c, tieWordEmbeddings: false };
  assert.match(weightsLine(estimate(untied, parseGpuList('24'), 0, { format: 'q4_k_m' }).explain), /, embedding q4_k, head q6_k, /);
});
