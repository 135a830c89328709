// Issue #11: "a model too large for the disk or RAM budget is refused before work starts with what it needs",
// and `plan --json` says so before anything is started: the slice's own refusal (plan/budget.ts, the check
// its preflight makes) for the budgets given (--gpus, --vram-gb, --ram-gb), and where each predicted number
// comes from. On LLaMA-2-7B's published config: no model files needed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliJson } from '../transports/cli-helpers';
import { sharedData } from '../shared';
import { suggestedVramGb } from '../../core/plan/vram-advice';

const data = mkdtempSync(join(tmpdir(), 'ss-plan-budgets-'));
after(() => rmSync(data, { recursive: true, force: true }));
const llama7b = sharedData('configs', 'llama-2-7b-hf.json');

interface Origin {
  kind: string;
  detail: string;
  sources: string[];
}
interface Slicing {
  refusal: string | null;
  deviceBudgetBytes: number | null;
  peakRamBytes: number;
  peakVramBytes: number | null;
  origins: { time: Origin; peakRam: Origin; peakVram: Origin | null; disk: Origin };
}
const slicing = (...args: string[]) => cliJson<{ slicing: Slicing }>(data, 'plan', llama7b, '--ratio', '0.25', ...args).slicing;

test('a 16 GB GPU is refused for the 7B slice at the default activations budget (half the GPU, as the slice job sets it), naming the --vram-gb that fits; that one passes', () => {
  const s = slicing('--gpus', '16');
  assert.equal(s.deviceBudgetBytes, 8 * 2 ** 30);
  assert.equal(
    s.refusal,
    "not enough GPU memory for this slice: it needs about 19.8 GiB of VRAM (activations 8.00 GiB (--vram-gb 8), a layer's weights 772 MiB, one batch's intermediates 3.00 GiB, measured allowance 8.01 GiB) and the GPU has 16.0 GiB; --vram-gb 4.2 fits (activations past it go through RAM)",
  );
  assert.equal(suggestedVramGb(s.refusal), 4.2, 'the value a resume with a lower budget is prefilled with');
  const fits = slicing('--gpus', '16', '--vram-gb', '4.2');
  assert.equal(fits.refusal, null);
  assert.ok(fits.peakVramBytes! <= 16 * 2 ** 30, `${fits.peakVramBytes}`);
});

test('--ram-gb below the predicted peak RAM is refused with both numbers; above it, not', () => {
  // (the 12 GiB activations budget holds all 8 GiB of activations: the RSS fitted to session 10's 7B run, 9.55 GB)
  const s = slicing('--gpus', '24', '--ram-gb', '4');
  assert.match(s.refusal ?? '', /^not enough memory for this slice: it needs about 8\.89 GiB of RAM and --ram-gb allows 4\.00 GiB \(fewer calibration tokens, --nsamples or --seqlen, need less\)$/);
  assert.equal(slicing('--gpus', '24', '--ram-gb', '9').refusal, null);
});

test('plan --json says where each prediction comes from: time, RAM and VRAM from the measured table (with its result file), disk by rule', () => {
  const o = slicing('--gpus', '24').origins;
  const synthetic = 'bench/results/slice-7b-h100-session10.json (ours.gpuEigh)';
  const pipeline = 'bench/results/pipeline-llama2-7b-h100-session12.json (slice phase)';
  // time: the whole table; RAM: session 10's 7B run (all activations on the GPU, as here); VRAM: the pipeline's, the one VRAM measurement
  for (const [k, source] of [
    ['time', synthetic],
    ['time', pipeline],
    ['peakRam', synthetic],
    ['peakVram', pipeline],
  ] as const) {
    assert.equal(o[k]?.kind, 'measured-table', k);
    assert.ok(o[k]!.sources.includes(source), `${k}: ${o[k]!.sources}`);
  }
  assert.match(o.peakVram!.detail, /fitted to the measured whole-device peak \(nvidia-smi\)/);
  assert.deepEqual([o.disk.kind, o.disk.sources], ['rule', []]);
  // on the CPU there is no VRAM to predict
  assert.equal(slicing('--gpus', 'cpu').origins.peakVram, null);
});
