#!/bin/bash
# #14 speed table, one device call: runtime from .devrun-wgsl/c (node + onnxruntime-node 1.30, Vulkan loader), then
# ours (WebGPU EP, resident f16 decoding) on synth LLaMA-2-7B-shaped folders (LAYERS layers, dense + uniform-25 % shapes),
# then the PyTorch fp16 sdpa anchor on the same shapes in the same lease. Results under $OUT.
cd "$(dirname "$0")/.."
C=.devrun-wgsl/c; I=.devrun-infer; L=${LAYERS:-8}; W=/tmp/isw
for f in $C/debs/*.deb; do dpkg -x "$f" / ; done; ldconfig
devrt=/tmp/devrt; [ -x $devrt/node ] || { mkdir -p $devrt && tar -C $devrt -xJf $C/rtA.tar.xz && tar -C $devrt -xJf $C/rtB.tar.xz && tar -C $devrt -xzf $C/ortc.tgz; }
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export PATH=$devrt:$PATH PYTHONUNBUFFERED=1
[ -e node_modules ] || ln -s $devrt/node_modules node_modules
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')
mkdir -p /tmp/tok && tar -C /tmp -xJf $I/tok.tar.xz
echo "setup ${SECONDS}s"
A="--prompt 2048 --prefill-batch 8 --decode-batch 16 --decode-prompt 128 --new 32 --repeats 2"
timeout ${OURS_T:-190} node $I/bench-infer-speed.mjs --config $I/configs/llama-2-7b-hf.json --tokenizer /tmp/tok --layers $L --work $W --ep webgpu --dtype ${DTYPE:-f16} $A --label "$GPU" --json $OUT/infer-speed.json > /dev/null 2> $OUT/infer-speed.err
echo "ours rc=$? at ${SECONDS}s"; tail -5 $OUT/infer-speed.err
python3 -c "
import json;r=json.load(open('$OUT/infer-speed.json'))
for n,m in r['models'].items(): print(n, m.get('error'), m['plan']['reason'], 'load',round(m['loadSeconds'],1),'first',round(m.get('firstRunSeconds',0),1), [(p['batch'],round(p.get('tokensPerSecond',-1)),p.get('error')) for p in m.get('prefill',[])], [(p['batch'],round(p.get('msPerToken',-1),2),p.get('error')) for p in m.get('decode',[])], m['vram'])
print('synth', r.get('synthSeconds'), 'ratio', r.get('slicedOverDenseDecodeBatch1'))" 2>&1
timeout ${TORCH_T:-110} python3 $I/torch_infer_speed.py --config $I/configs/llama-2-7b-hf.json --layers $L $A > $OUT/torch.jsonl 2> $OUT/torch.err
echo "torch rc=$? at ${SECONDS}s"; tail -3 $OUT/torch.err
tail -1 $OUT/torch.jsonl | python3 -c "
import json,sys;r=json.loads(sys.stdin.read())
for n,m in r['models'].items(): print(n, m.get('error'), [(p['batch'],round(p['tokensPerSecond'])) for p in m.get('prefill',[])], [(p['batch'],round(p['msPerToken'],2)) for p in m.get('decode',[])], round(m.get('peakVramMiB',0)))
print('ratio', r.get('slicedOverDenseDecodeBatch1'))" 2>&1
