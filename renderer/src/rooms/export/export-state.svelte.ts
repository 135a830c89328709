// The Export panel's state, at module level so a running export survives tab switches (rooms unmount
// when left). One panel at a time: the wizard's step and the Runs room's action open the same state.
import { DEFAULT_PPL_WINDOWS } from '../../../../core/runtime/ppl-protocol';
import { JobView } from '../wizard/job-view.svelte';
import { formatInfo, type ExportDtypeId, type ExportFormatId } from './formats';
import { exportModelFacts, type ExportModelFacts } from './model-facts';

class ExportState {
  /** The model folder to export (a sliced output or a dense model). */
  model = $state('');
  format: ExportFormatId = $state('onnx');
  dtype: ExportDtypeId = $state('f16');
  /** The user picked a type: stop following the model's own. */
  dtypeChosen = $state(false);
  /** Dense, per-layer or uniform slice, and the source dtype; null until known. */
  facts: ExportModelFacts | null = $state(null);
  out = $state('');
  /** The user typed a path: stop following the format and dtype. */
  outEdited = $state(false);
  overwrite = $state(false);
  windows = $state(DEFAULT_PPL_WINDOWS);
  /** GGUF: measure llama.cpp's perplexity as part of the export (on by default: about as long as the in-app perplexity). */
  ggufPpl = $state(true);
  /** GGUF: import into Ollama under this name ('' = don't). */
  ollamaName = $state('');
  /** GGUF: copy into LM Studio's models folder. */
  lmstudio = $state(false);
  exporting = new JobView('export');
  verifying = new JobView('verify-export');

  /** Point the panel at another model: the previous results no longer apply. */
  open(model: string): void {
    if (model === this.model) return;
    this.model = model;
    this.outEdited = false;
    this.facts = null;
    exportModelFacts(model).then(
      (f) => {
        if (this.model !== model) return;
        this.facts = f;
        // A per-layer slice cannot go to GGUF; the type follows the source's until the user picks one.
        if (f.shape === 'per-layer' && this.format === 'gguf') this.format = 'onnx';
        if (!this.dtypeChosen && f.sourceDtype && formatInfo(this.format).dtypes.includes(f.sourceDtype)) this.dtype = f.sourceDtype;
      },
      () => {},
    );
    if (this.exporting.status !== 'running') this.exporting.reset();
    if (this.verifying.status !== 'running') this.verifying.reset();
  }
}

export const exportState = new ExportState();
