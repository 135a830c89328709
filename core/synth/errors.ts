/** A synth request that cannot be carried out as asked (a user error: one line). */
export class SynthError extends Error {
  override name = 'SynthError';
}
