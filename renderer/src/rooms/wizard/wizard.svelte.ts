// The wizard's state, at module level so it survives tab switches (rooms unmount when left): the model,
// the plan's inputs and reply, the calibration settings, and the slice and evaluation jobs.
import { DEFAULT_PPL_WINDOWS } from '../../../../core/runtime/ppl-protocol';
import type { HardwareReport, ModelInspection } from '../../../../core/api/contract';
import type { TaskName } from '../../../../core/eval/tasks/types';
import type { PlanReply } from '../../lib/extra-api';
import { JobView } from './job-view.svelte';

export const STEPS = [
  { id: 'model', label: 'Model' },
  { id: 'plan', label: 'Hardware & plan' },
  { id: 'calibration', label: 'Calibration' },
  { id: 'slice', label: 'Slice' },
  { id: 'recover', label: 'Recover' },
  { id: 'evaluate', label: 'Evaluate' },
  { id: 'export', label: 'Export' },
] as const;
export type StepId = (typeof STEPS)[number]['id'];

export const FORMATS = [
  { id: 'fp16', label: 'fp16', hint: 'float16: ONNX, safetensors' },
  { id: 'q8', label: 'q8', hint: '8-bit (Q8_0): GGUF' },
  { id: 'q4', label: 'q4', hint: '4-bit (Q4_0): GGUF' },
] as const;

export { TASKS } from '../../lib/tasks';

class WizardState {
  step: StepId = $state('model');

  // Model
  inspection: ModelInspection | null = $state(null);

  // Hardware & plan
  hardware: HardwareReport | null = $state(null);
  /** 'auto': this machine's GPUs (or its RAM); 'custom': the sizes typed in `gpuSizes` (plan for another machine). */
  planFor: 'auto' | 'custom' = $state('auto');
  gpuSizes = $state('24,24');
  format = $state('fp16');
  ctx = $state(2048);
  batch = $state(1);
  ratio = $state(0.25);
  plan: PlanReply | null = $state(null);
  planError: string | null = $state(null);
  planBusy = $state(false);
  /** The user chose to slice although the estimate does not fit. */
  override = $state(false);
  planAccepted = $state(false);

  // Calibration
  cal: 'wikitext2' | 'alpaca' | 'file' = $state('wikitext2');
  calPath = $state('');
  nsamples = $state(128);
  seqlen = $state(2048);
  sampling: 'first' | 'random' = $state('first');
  seed = $state(42);

  // Slice and evaluate
  /** 'per-layer' is the paper (shortcut matrices); 'uniform' is one rotation, exportable to GGUF. */
  rotation: 'per-layer' | 'uniform' = $state('per-layer');
  /** Round d′ to a multiple of 32 (what GGUF's Q8_0 / Q4_0 blocks need); otherwise the plan's round. */
  round32 = $state(false);
  /** Round d′ to a multiple of 256 (what GGUF's K-quant blocks need: Q4_K_M, Q5_K_M, Q6_K without fallbacks). */
  round256 = $state(false);
  slice = new JobView('slice');
  evaluation = new JobView('eval');
  evalTarget: 'sliced' | 'recovered' | 'dense' = $state('sliced');
  tasks: TaskName[] = $state(['piqa', 'arc_easy']);
  /** The tasks of the evaluation started last (the checkboxes may have changed since). */
  evalTasksRun: string[] = $state([]);
  /** Whether the evaluation started last measures perplexity. */
  evalPplRun = $state(false);
  limit = $state(100);
  ppl = $state(true);
  pplMaxWindows = $state(DEFAULT_PPL_WINDOWS);

  // Recover (optional): recovery fine-tuning of the slice; 0 in a number means "the default scaled to the slice" (core/recover/defaults.ts).
  recover = new JobView('recover');
  recoverData: 'alpaca' | 'wikitext2' | 'file' = $state('alpaca');
  recoverPath = $state('');
  recoverRank = $state(0);
  recoverAlpha = $state(0);
  recoverSteps = $state(0);
  recoverSeqlen = $state(0);
  recoverLr = $state(2e-4);
  recoverDropout = $state(0);

  /** The recovered folder when the recovery finished (evaluations and exports offer it). */
  get recovered(): string | null {
    return this.recover.status === 'done' ? (this.recover.result?.out ?? null) : null;
  }

  /** A new model: everything after the model step starts over. */
  openModel(inspection: ModelInspection): void {
    const changed = this.inspection?.path !== inspection.path;
    this.inspection = inspection;
    if (!changed) return;
    const maxPos = inspection.config?.maxPositions ?? 2048;
    this.ctx = Math.min(maxPos, 4096);
    this.seqlen = Math.min(maxPos, 2048);
    this.plan = null;
    this.planAccepted = false;
    this.override = false;
  }

  /** The model could not be opened: nothing may still offer the previous one. */
  closeModel(): void {
    this.inspection = null;
    this.plan = null;
    this.planAccepted = false;
    this.override = false;
  }

  /** The execution provider the core chose for this machine (jobs default to the CPU otherwise). */
  get ep(): HardwareReport['chosenProvider']['ep'] | undefined {
    return this.hardware?.chosenProvider.ep;
  }

  get calibrationSource(): string {
    return this.cal === 'file' ? this.calPath.trim() : this.cal;
  }

  /** Which steps can be opened now (earlier ones done). */
  reachable(step: StepId): boolean {
    switch (step) {
      case 'model':
        return true;
      case 'plan':
        return this.inspection !== null && this.inspection.supported;
      case 'calibration':
        return this.reachable('plan') && this.planAccepted && this.inspection?.kind === 'folder';
      case 'slice':
        return this.reachable('calibration');
      case 'recover':
        return this.reachable('slice') && this.slice.status === 'done';
      case 'evaluate':
      case 'export':
        return this.reachable('calibration');
    }
  }
}

export const wizard = new WizardState();
