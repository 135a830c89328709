# The same WikiText-2 perplexity pass in PyTorch, for the llama family, to compare speed with our
# onnxruntime runtime (bench/forward.ts calls this when `python3 -c "import torch"` works; the project
# never depends on it). Reads the model's safetensors with numpy (no `safetensors` package needed) and the
# token ids that the TypeScript side wrote, so both sides score exactly the same windows.
# Usage: python3 bench/torch_ppl.py <model-dir> <ids.int32> <seq> <batch> <max-windows|-1> <threads>
import json, math, struct, sys, time
import numpy as np
import torch

model_dir, ids_file, seq, batch, max_windows, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)
cfg = json.load(open(f"{model_dir}/config.json"))
if cfg.get("model_type") not in ("llama", "mistral"):
    print(json.dumps({"skipped": f"torch reference covers the llama family only, not {cfg.get('model_type')}"}))
    sys.exit(0)

with open(f"{model_dir}/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    blob = f.read()
DT = {"F16": np.float16, "F32": np.float32, "BF16": None}
W = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    a, b = t["data_offsets"]
    W[name] = torch.from_numpy(np.frombuffer(blob[a:b], dtype=DT[t["dtype"]]).astype(np.float32).reshape(t["shape"]))

D, H = cfg["hidden_size"], cfg["num_attention_heads"]
KV = cfg.get("num_key_value_heads", H)
hd = cfg.get("head_dim", D // H)
L, eps = cfg["num_hidden_layers"], cfg.get("rms_norm_eps", 1e-6)
theta = (cfg.get("rope_parameters") or {}).get("rope_theta", cfg.get("rope_theta", 10000.0))
head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
ang = torch.outer(torch.arange(seq, dtype=torch.float64), inv)
cos = torch.cat([ang.cos(), ang.cos()], -1).float()
sin = torch.cat([ang.sin(), ang.sin()], -1).float()
mask = torch.full((seq, seq), float("-inf")).triu(1)

def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

def rot(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)

@torch.inference_mode()
def nll(ids):
    B, T = ids.shape
    x = W["model.embed_tokens.weight"][ids]
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(B, T, H, hd).transpose(1, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(B, T, KV, hd).transpose(1, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(B, T, KV, hd).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, -1) @ v
        x = x + a.transpose(1, 2).reshape(B, T, H * hd) @ W[p + "self_attn.o_proj.weight"].T
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = h @ W[p + "mlp.gate_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    logits = rms(x, W["model.norm.weight"]) @ head.T
    lp = torch.log_softmax(logits[:, :-1].double(), -1)
    return -lp.gather(-1, ids[:, 1:, None]).squeeze(-1).mean(-1)

ids = torch.from_numpy(np.fromfile(ids_file, dtype=np.int32).astype(np.int64))
nw = ids.numel() // seq
if max_windows >= 0:
    nw = min(nw, max_windows)
windows = ids[: nw * seq].view(nw, seq)
t0 = time.perf_counter()
total = torch.zeros((), dtype=torch.float64)
for s in range(0, nw, batch):
    total += nll(windows[s : s + batch]).sum()
sec = time.perf_counter() - t0
print(json.dumps({"torch": torch.__version__, "threads": threads, "windows": nw, "ppl": math.exp(total.item() / nw), "seconds": sec, "tokensPerSecond": nw * seq / sec}))
