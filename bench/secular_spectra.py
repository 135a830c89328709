# `python3 bench/secular_spectra.py 1024,4096,8192 DIR`: tridiagonals (d<n>.f64, e<n>.f64 in DIR) of a
# calibration-moment-like matrix for `bench secular-dc --decay DIR`: A = Q·diag(λ)·Qᵀ with Q Haar-random
# and λ decaying over ~10 orders of magnitude (a few outliers, a power-law bulk, a near-zero tail), as a
# language model's activation moment has; reduced by LAPACK dsytrd. Seeded.
import sys
import numpy as np
from scipy.linalg import lapack

for n in [int(s) for s in sys.argv[1].split(',')]:
    rng = np.random.default_rng(n)
    i = np.arange(n, dtype=np.float64)
    lam = 1e3 * (1 + i) ** -1.5 + 1e-7 * rng.random(n)
    lam[:4] *= 50  # outlier dimensions
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    q *= np.sign(np.diag(r))
    a = (q * lam) @ q.T
    a = (a + a.T) / 2
    c, d, e, tau, info = lapack.dsytrd(a, lower=1)
    assert info == 0
    d.astype('<f8').tofile(f'{sys.argv[2]}/d{n}.f64')
    e.astype('<f8').tofile(f'{sys.argv[2]}/e{n}.f64')
    print(n, 'done', flush=True)
