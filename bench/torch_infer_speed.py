# PyTorch anchor for #14's speed table: transformers LlamaForCausalLM built from the same config (random
# fp16 weights, sdpa attention) on CUDA, dense and the uniform slice's shapes (hidden_size d, explicit
# head_dim; see bench/infer-speed.ts). Prefill tokens/s at batch 1 and B (logits of the last position
# only), decode ms/token with the KV cache at batch 1 and B'. Peak VRAM = torch.cuda.max_memory_allocated.
import json, sys, time, argparse, inspect
import torch
from transformers import LlamaConfig, LlamaForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument('--config'); ap.add_argument('--layers', type=int, default=0); ap.add_argument('--ratio', type=float, default=0.25)
ap.add_argument('--prompt', type=int, default=2048); ap.add_argument('--prefill-batch', type=int, default=8)
ap.add_argument('--decode-batch', type=int, default=16); ap.add_argument('--decode-prompt', type=int, default=128)
ap.add_argument('--new', type=int, default=32); ap.add_argument('--repeats', type=int, default=2)
a = ap.parse_args()
raw = json.load(open(a.config))
if a.layers: raw['num_hidden_layers'] = a.layers
D, H = raw['hidden_size'], raw['num_attention_heads']
sliced = dict(raw, hidden_size=round(D * (1 - a.ratio) / 8) * 8, head_dim=raw.get('head_dim', D // H))
out = {'bench': 'torch-infer-speed', 'torch': torch.__version__, 'gpu': torch.cuda.get_device_name(0), 'args': vars(a), 'models': {}}
sync = torch.cuda.synchronize
params = inspect.signature(LlamaForCausalLM.forward).parameters
keep = next((k for k in ('logits_to_keep', 'num_logits_to_keep') if k in params), None)
import transformers; out['transformers'] = transformers.__version__; out['logitsToKeep'] = keep

def prefill(m, ids):
    return m(input_ids=ids, use_cache=True, **({keep: 1} if keep else {}))

def run(name, cfgd):
    torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    t = time.time()
    cfg = LlamaConfig(**{k: v for k, v in cfgd.items() if k not in ('architectures', 'transformers_version')})
    cfg._attn_implementation = 'sdpa'
    torch.set_default_dtype(torch.float16)
    with torch.device('cuda'):
        m = LlamaForCausalLM(cfg).eval()
    torch.set_default_dtype(torch.float32)
    sync(); r = {'buildSeconds': time.time() - t, 'params': sum(p.numel() for p in m.parameters())}
    V = cfg.vocab_size
    ids = lambda b, P: (torch.arange(b * P, device='cuda').reshape(b, P) * 7919 + 17) % V
    with torch.inference_mode():
        prefill(m, ids(1, 8)); sync()
        r['prefill'] = []
        for b in (1, a.prefill_batch):
            x = ids(b, a.prompt); prefill(m, x); sync(); s = []
            for _ in range(a.repeats):
                t = time.time(); o = prefill(m, x); o.logits.argmax(-1).cpu(); s.append(time.time() - t); del o
            s.sort(); sec = s[(len(s) - 1) // 2]
            r['prefill'].append({'batch': b, 'promptTokens': a.prompt, 'seconds': sec, 'tokensPerSecond': b * a.prompt / sec, 'runs': s})
        r['decode'] = []
        for b in (1, a.decode_batch):
            def dec(steps):
                o = prefill(m, ids(b, a.decode_prompt)); nxt = o.logits[:, -1].argmax(-1, keepdim=True); pkv = o.past_key_values
                sync(); t = time.time()
                for _ in range(steps):
                    o = m(input_ids=nxt, past_key_values=pkv, use_cache=True); pkv = o.past_key_values; nxt = o.logits[:, -1].argmax(-1, keepdim=True)
                nxt.cpu(); return time.time() - t
            dec(4); s = sorted(dec(a.new) for _ in range(a.repeats)); sec = s[(len(s) - 1) // 2]
            r['decode'].append({'batch': b, 'promptTokens': a.decode_prompt, 'steps': a.new, 'msPerToken': sec / a.new * 1000, 'tokensPerSecond': b * a.new / sec, 'runs': s})
    r['peakVramMiB'] = torch.cuda.max_memory_allocated() / 2**20
    del m; return r

for name, c in (('dense', raw), ('sliced', sliced)):
    try: out['models'][name] = run(name, c)
    except Exception as e: out['models'][name] = {'error': repr(e)}
    print(json.dumps(out), flush=True)
d = out['models'].get('dense', {}).get('decode'); s = out['models'].get('sliced', {}).get('decode')
if d and s: out['slicedOverDenseDecodeBatch1'] = s[0]['tokensPerSecond'] / d[0]['tokensPerSecond']
print(json.dumps(out))
