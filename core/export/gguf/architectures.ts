// The llama.cpp architectures a GGUF export writes: the table and the choice live in plan/gguf-architectures.ts
// (the planner sizes files by them too); here a model no graph can hold becomes the exporter's error.
import { architectureFor, type ArchChoice, type GgufArch } from '../../plan/gguf-architectures';
import { GgufUnsupportedError } from './errors';

export { GGUF_ARCHITECTURES, type GgufArch, type GgufArchitecture, type ArchChoice } from '../../plan/gguf-architectures';

/** architectureFor, refusing (GgufUnsupportedError, one line) a model whose head norms only its own graph reads. */
export function chooseArchitecture(own: GgufArch, m: Parameters<typeof architectureFor>[1]): ArchChoice {
  const c = architectureFor(own, m);
  if (c.refusal) throw new GgufUnsupportedError(c.refusal);
  return c;
}
