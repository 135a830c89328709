# python3 bench/device/assemble.py FILES_AT LEASE_UTC [SESSION]  → bench/results/*-<card>-<SESSION>.json from one lease of bench/device/go.sh
# (FILES_AT: one folder holding every call's returned files of that lease; SESSION defaults to 'session')
import json, os, sys, re
src, lease = sys.argv[1], sys.argv[2]
# go.sh returns a call's files as go-<time>.tgz (the device tool brings back only a few files a call); other calls'
# tarballs (pipe files) likewise: unpack every .tgz found beside the loose files into one scratch folder.
import glob, shutil, tarfile, tempfile
if glob.glob(os.path.join(src, '*.tgz')):
    merged = tempfile.mkdtemp(prefix='assemble-')
    for f in sorted(os.listdir(src)):
        p = os.path.join(src, f)
        if f.endswith('.tgz'):
            with tarfile.open(p) as t: t.extractall(merged)
        elif os.path.isfile(p): shutil.copy(p, merged)
    src = merged
tag = sys.argv[3] if len(sys.argv) > 3 else 'session'
R = 'bench/results'
def rd(n):
    p = os.path.join(src, n)
    if not os.path.exists(p): return None
    t = open(p).read()
    try: return json.loads(t)
    except Exception:
        # last JSON object in the file
        for line in reversed(t.strip().splitlines()):
            try: return json.loads(line)
            except Exception: pass
        m = t.rfind('\n{')
        try: return json.loads(t[m+1:]) if m >= 0 else None
        except Exception: return None
gpu = (open(os.path.join(src, 'gpu.txt')).read().strip().splitlines() or ['?'])[0]
card = 'h200' if 'H200' in gpu else 'h100'
machine = f'{gpu} (device tool, 16 cores), lease {lease}'
# ours over the anchor per layer: the steady state (layers ≥ 1, slice.ts steadySecondsPerLayer) when the run had two or
# more layers — the anchor times its layers after a warm-up, and layer 0 of ours pays session creation and shader
# compilation once per model — else the mean over layers; the mean-based ratio is kept beside it (older results used it).
STEADY, MEAN = 'steady (layers ≥ 1)', 'mean'
def ratios(v, a):
    if not (a and v and 'meanSecondsPerLayer' in v): return None, None, None
    mean = round(v['meanSecondsPerLayer']['total'] / a, 2)
    if 'steadySecondsPerLayer' in v: return round(v['steadySecondsPerLayer']['total'] / a, 2), STEADY, mean
    return mean, MEAN, mean
def layers_of(v, default): return (v or {}).get('layers', default)
anchor, g, c = rd('anchor7b.json'), rd('slice7b-gpu-eigh.json'), rd('slice7b-cpu-eigh.json')
if anchor or g or c:
    ours = {}
    for k, v in (('gpuEigh', g), ('cpuEigh', c)):
        if v: ours[k] = v
    a = anchor.get('per_layer_sum_s') if anchor else None
    rs = {k: ratios(v, a) for k, v in ours.items()}
    ratio = {k: r[0] for k, r in rs.items() if r[0] is not None}
    n = layers_of(g or c, 2)
    out = {'bench': f'slice --synthetic llama-2-7b --layers {n} --nsamples 128 --seqlen 2048 --ep webgpu', 'machine': machine,
           'commands': {'gpuEigh': f'SLICE_STUDIO_EIGH=gpu node dist/bench-slice.mjs --synthetic llama-2-7b --layers {n} --nsamples 128 --seqlen 2048 --ep webgpu',
                        'cpuEigh': 'node dist/bench-slice.mjs (same flags, float64 CPU eigh)', 'anchor': 'python3 ../shared/anchors/torch_slice_time.py --shape llama-2-7b'},
           'anchor': anchor, 'ours': ours, 'oursOverAnchor': ratio,
           'basis': {k: r[1] for k, r in rs.items() if r[0] is not None}, 'oursOverAnchorMean': {k: r[2] for k, r in rs.items() if r[0] is not None}}
    json.dump(out, open(f'{R}/slice-7b-{card}-{tag}.json', 'w'), indent=2); print('slice-7b', ratio, out['basis'], 'mean-based', out['oursOverAnchorMean'])
a70, s70 = rd('anchor70b.json'), rd('slice70b.json')
if a70 or s70:
    a = a70.get('per_layer_sum_s') if a70 else None
    r, basis, rm = ratios(s70, a)
    n = layers_of(s70, 2)
    json.dump({'bench': f'slice --synthetic llama-2-70b --layers {n} --nsamples 128 --seqlen 2048 --ep webgpu --vram-gb 20 (SLICE_STUDIO_EIGH=gpu)', 'machine': machine,
               'commands': {'ours': f'SLICE_STUDIO_EIGH=gpu node dist/bench-slice.mjs --synthetic llama-2-70b --layers {n} --nsamples 128 --seqlen 2048 --ep webgpu --vram-gb 20',
                            'anchor': 'python3 ../shared/anchors/torch_slice_time.py --shape llama-2-70b --layers 1'},
               'anchor': a70, 'ours': s70, 'oursOverAnchor': r, 'basis': basis, 'oursOverAnchorMean': rm}, open(f'{R}/slice-70b-{card}-{tag}.json', 'w'), indent=2); print('slice-70b', r, basis, 'mean-based', rm)
f70 = rd('file70.json')
if f70:
    cgt = os.path.join(src, 'file70-cgroup.txt'); cg = open(cgt).read().strip() if os.path.exists(cgt) else None
    a = a70.get('per_layer_sum_s') if a70 else None
    r, basis, rm = ratios(f70, a)
    json.dump({'bench': 'the streaming file path at the 70B shape (go.sh file70): synth --layers 4 of llama-2-70b (bf16 shards) sliced 25 % through bench-slice --source-folder --cal wikitext2 --nsamples 128 --seqlen 2048 --ep webgpu --vram-gb 20 --checkpoint --write (SLICE_STUDIO_EIGH=gpu)',
               'machine': machine, 'ramBudget': cg, 'ours': f70, 'anchorSameLease': a70, 'oursOverAnchor': r, 'basis': basis, 'oursOverAnchorMean': rm},
              open(f'{R}/slice-70b-file-{card}-{tag}.json', 'w'), indent=2); print('slice-70b-file', r, basis, cg)
w, t = rd('wgsl-eigh.json'), rd('torch-eigh.json')
if w or t:
    json.dump({'bench': 'gpu-eigh --solver wgsl --sizes 1024,4096,8192 --no-ref --dump DIR; python3 bench/torch_eigh.py (same lease)', 'machine': machine, 'wgsl': w, 'torch': t},
              open(f'{R}/gpu-eigh-wgsl-{card}-{tag}.json', 'w'), indent=2); print('eigh written')
i, ti = rd('infer-speed.json'), rd('torch-infer.jsonl')
if i or ti:
    json.dump({'bench': 'infer-speed --config llama-2-7b --layers 8 (synth bf16) --ep webgpu --dtype f16; bench/torch_infer_speed.py same shapes', 'machine': machine, 'ours': i, 'torch': ti},
              open(f'{R}/infer-speed-7b-8layers-{card}-{tag}.json', 'w'), indent=2); print('infer written')
if os.path.exists(os.path.join(src, 'recover.jsonl')):
    rows = [json.loads(l) for l in open(os.path.join(src, 'recover.jsonl')) if l.strip().startswith('{')]
    json.dump({'bench': 'recover-step --synthetic llama-2-7b --layers 2 --ratio 0.25 --mode streamed --ep webgpu', 'machine': machine, 'rows': rows},
              open(f'{R}/recover-step-7b-{card}-{tag}.json', 'w'), indent=2); print('recover written')
fam = os.path.join(src, 'families-reference.json')
if os.path.exists(fam):
    import shutil; shutil.copy(fam, 'test/fixtures/families/reference.json'); print('families reference copied')
ls = rd('llama-speed.json')
if ls:
    json.dump({'bench': 'llama-speed (bench/device/llama.sh: the infer step\'s synth dense and sliced folders → GGUF F16, node-llama-cpp Vulkan, all layers offloaded)', 'machine': machine, 'llamaCpp': ls},
              open(f'{R}/llama-speed-7b-8layers-{card}-{tag}.json', 'w'), indent=2); print('llama-speed written')
if os.path.exists(os.path.join(src, 'recover-tiny.jsonl')):
    rows = [json.loads(l) for l in open(os.path.join(src, 'recover-tiny.jsonl')) if l.strip().startswith('{')]
    json.dump({'bench': 'recover-step --model tiny-llama sliced 25 % (float32) --ep webgpu --batch 4 --seq 256 --steps 5, whole and streamed (bench/device/rtiny.sh)', 'machine': machine, 'rows': rows},
              open(f'{R}/recover-tiny-{card}-{tag}.json', 'w'), indent=2); print('recover-tiny written')
acc = {pd: rd(f'acc-{pd}.json') for pd in ('f32', 'f16')}
if any(acc.values()):
    json.dump({'bench': 'slice --models tiny-llama,tiny-opt,tiny-phi,tiny-stories --ratios 0.1,0.25,0.5 --windows 128 --ep webgpu --engine device --pass-dtype f32|f16 (bench/device/acc.sh; WGSL PCA)', 'machine': machine, **{k: v for k, v in acc.items() if v}},
              open(f'{R}/slice-accuracy-gpu-{card}-{tag}.json', 'w'), indent=2); print('accuracy written')
wd = rd('wgsl-decode.json')
if wd:
    json.dump({'bench': 'wgsl-decode --gemv 16x8,32x4,32x8,64x4 (the WGSL batch-1 decoder alone, 8 LLaMA-2-7B-shaped layers, float16 weights)', 'machine': machine, **wd},
              open(f'{R}/wgsl-decode-7b-8layers-{card}-{tag}.json', 'w'), indent=2); print('wgsl-decode written')
pr = os.path.join(src, 'probe.jsonl')
if os.path.exists(pr):
    rows = [json.loads(l) for l in open(pr) if l.strip().startswith('{')]
    json.dump({'bench': 'the webgpu package (Dawn for Node 0.6.2) adapter features on this machine, without and with allow_unsafe_apis', 'machine': machine, 'adapters': rows},
              open(f'{R}/webgpu-features-{card}-{tag}.json', 'w'), indent=2); print('webgpu features written')
