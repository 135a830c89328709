// Whether an export reproduces the app. Its perplexity on the same windows must agree within a tolerance set by
// how its weights are stored: float32 to rounding, float16 and 8-bit blocks within a little, 4-bit blocks within
// more. A float32 export must also continue the prompt with the same greedy tokens; a narrower one may pick
// another token where two are nearly tied, after which the text drifts, so for those a divergence is reported,
// not failed. (Measured on the shared tiny-llama, 8 windows × 256: GGUF f16 0.0009 %, q8_0 0.13 %.)

/** Largest accepted |export − app| / app perplexity, by weight storage. */
// K-quants sit between by their bits per weight: Q6_K (6.56) with q8_0, Q5_K and Q5_K_M (5.5–5.7) halfway, Q4_K and
// Q4_K_M (4.5–4.9) with q4_0.
export const PPL_TOLERANCE: Readonly<Record<string, number>> = {
  f32: 0.001,
  f16: 0.01,
  q8_0: 0.02,
  q6_k: 0.02,
  q5_k: 0.05,
  q5_k_m: 0.05,
  q4_0: 0.1,
  q4_k: 0.1,
  q4_k_m: 0.1,
};
/** For an export whose weight storage cannot be read: the loosest tolerance. */
const UNKNOWN_TOLERANCE = 0.1;

export interface Verdict {
  pass: boolean;
  /** The weight storage the tolerance was chosen for (null: not recorded in the export). */
  dtype: string | null;
  /** The accepted relative perplexity difference. */
  tolerance: number;
  /** One line: PASS/FAIL, the difference against the tolerance, and the greedy comparison. */
  line: string;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 ? 4 : 2)} %`;

export function exportVerdict(dtype: string | null, comparison: { pplRelativeDifference: number; greedyIdentical: boolean; firstDifference: number }): Verdict {
  const tolerance = (dtype === null ? undefined : PPL_TOLERANCE[dtype]) ?? UNKNOWN_TOLERANCE;
  const what = dtype ? `a ${dtype} export` : 'an export of unrecorded dtype';
  const d = comparison.pplRelativeDifference;
  const pplOk = Number.isFinite(d) && d <= tolerance;
  const greedyRequired = dtype === 'f32';
  const greedyOk = comparison.greedyIdentical || !greedyRequired;
  const greedy = comparison.greedyIdentical ? 'greedy tokens identical' : `greedy tokens differ from position ${comparison.firstDifference}${greedyRequired ? '' : ' (allowed: narrower weights can flip a near-tie)'}`;
  const ppl = `perplexity ${pct(d)} from the app's, ${pplOk ? 'within' : 'more than'} the ${pct(tolerance)} allowed for ${what}`;
  const pass = pplOk && greedyOk;
  return { pass, dtype, tolerance, line: `${pass ? 'PASS' : 'FAIL'}: ${ppl}; ${greedy}` };
}
