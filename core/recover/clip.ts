// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): if ‖g‖₂ over all parameters exceeds
// maxNorm, every gradient is scaled by maxNorm / (‖g‖₂ + 1e-6). Returns the norm before clipping, which
// is also how a diverging run is noticed (a non-finite norm).
export function clipGlobalNorm(grads: Float32Array[], maxNorm: number): number {
  let ss = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  if (Number.isFinite(norm) && maxNorm > 0 && norm > maxNorm) {
    const k = maxNorm / (norm + 1e-6);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= k;
  }
  return norm;
}
