# `python3 bench/torch_eigh.py 4096,8192 DIR`: torch.linalg.eigh on the GPU (float64 and float32) on the
# matrices that `bench gpu-eigh --dump DIR` wrote (a<n>.f64), and the float64 residual ‖AV − VΛ‖/‖A‖ and
# orthogonality ‖VᵀV − I‖ of ours (w<n>.f64, v<n>.f32) and of torch's, all computed on the GPU.
import json, os, sys, time
import numpy as np, torch

def check(a, w, v):
    n = a.shape[0]
    res = float(torch.linalg.norm(a @ v - v * w) / torch.linalg.norm(a))
    orth = float(torch.linalg.norm(v.T @ v - torch.eye(n, device=a.device, dtype=a.dtype)))
    return res, orth

out = {'torch': torch.__version__, 'device': torch.cuda.get_device_name(), 'results': []}
for n in [int(s) for s in sys.argv[1].split(',')]:
    d = sys.argv[2]
    a = torch.from_numpy(np.fromfile(f'{d}/a{n}.f64', dtype='<f8').reshape(n, n)).cuda()
    row = {'n': n}
    if os.path.exists(f'{d}/v{n}.f32'):
        w = torch.from_numpy(np.fromfile(f'{d}/w{n}.f64', dtype='<f8')).cuda()
        v = torch.from_numpy(np.fromfile(f'{d}/v{n}.f32', dtype='<f4').reshape(n, n)).cuda().double()
        row['ours'] = dict(zip(('residual', 'orthogonality'), check(a, w, v)))
        w64 = torch.linalg.eigvalsh(a).flip(0)
        row['ours']['maxEigenvalueDiffVsTorchFloat64'] = float((w - w64).abs().max() / w64.abs().max())
    for dt in [torch.float64, torch.float32]:
        x = a.to(dt)
        torch.linalg.eigh(x); torch.cuda.synchronize()
        ts = []
        for _ in range(3):
            t = time.perf_counter(); w, v = torch.linalg.eigh(x); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
        res, orth = check(a, w.double(), v.double())
        row[str(dt).split('.')[1]] = {'seconds': min(ts), 'runs': ts, 'residual': res, 'orthogonality': orth}
    out['results'].append(row)
print(json.dumps(out, indent=1))
