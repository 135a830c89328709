#!/bin/bash
# bench/device/llama.sh, copied to .d6/llama/llama.sh by `bash bench/device/kit.sh llama`: #14's dense vs sliced speed
# in llama.cpp on the GPU. After go.sh's `infer` step on the same warm machine (its runtime in /tmp/devrt, its synth
# folders in /tmp/isw: dense/ and sliced/, the uniform slice's shapes), a later call: carry [".d6/llama"], command
# `OUT=$OUT bash .d6/llama/llama.sh`. Unpacks node-llama-cpp and its Vulkan (and CPU) binaries into the runtime once,
# exports both folders to GGUF F16 in $WORK/gguf (kept for another call), and times them in llama.cpp with every
# layer offloaded (bench/llama-speed.ts): batch-1 prefill at 2048 tokens and greedy decode of 32 tokens after 128,
# as go.sh's infer step times ours. $OUT/llama-speed.json, a summary on stdout.
#   GPU=vulkan|cpu|cuda (cuda: the kit from `kit.sh llamacuda`, its fatbin pruned to the H100/H200's PTX)
#   DTYPES=f16,q8_0 (GGUF types timed, each exported once into $WORK/gguf)
#   DEVRT (default /tmp/devrt) WORK (default /tmp/isw) LLAMA_ARGS (extra bench flags, e.g. --flash-attn) LS_T (timeout s)
cd "$(dirname "$0")/../.."; L=.d6/llama; RT=${DEVRT:-/tmp/devrt}; W=${WORK:-/tmp/isw}; G=${GPU:-vulkan}
[ -x $RT/node ] || { echo "no $RT/node: run a go.sh step in this lease first"; exit 3; }
[ -f $W/dense/config.json ] && [ -f $W/sliced/config.json ] || { echo "no synth folders in $W: run go.sh's infer step first"; exit 3; }
[ -f $RT/node_modules/node-llama-cpp/package.json ] || tar -C $RT -xJf $L/llama.tar.xz || exit 4
# The bundle resolves its external packages (node-llama-cpp, onnxruntime-node) from the runtime's node_modules.
cp $L/bench-llama-speed.mjs $RT/
export PATH=$RT:$PATH VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
[ "$G" != vulkan ] || ldconfig -p | grep -q libvulkan.so.1 || echo "no Vulkan loader (libvulkan.so.1): go.sh installs it from .d6/k/debs; run a go.sh step in this lease first"
if [ "$G" = cuda ]; then  # CUDA 13 runtime + cuBLAS from the machine's PyTorch wheels (node-llama-cpp's binary needs .so.13)
  for d in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    for l in $(find "$d/nvidia" -name 'libcudart.so.13*' -o -name 'libcublas.so.13*' 2>/dev/null); do export LD_LIBRARY_PATH=$(dirname "$l")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; done
  done; for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/cuda/lib64; do [ -d $d ] && export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d; done
  echo "CUDA libraries from: ${LD_LIBRARY_PATH:-none found}"; ldconfig -p | grep -E "libcuda.so.1|libnvidia-ml.so.1" | head -2; export CUDA_MODULE_LOADING=${CUDA_MODULE_LOADING:-LAZY}
fi
LABEL=$( (nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo here) | head -1 | tr ' ' '-')
timeout ${LS_T:-500} node $RT/bench-llama-speed.mjs --dense $W/dense --sliced $W/sliced --work $W/gguf --gpu $G \
  --prompt ${PROMPT:-2048} --decode-prompt ${DPROMPT:-128} --new ${NEW:-32} --repeats ${REPEATS:-2} --dtypes ${DTYPES:-f16} --label "$LABEL" ${LLAMA_ARGS-} \
  --json $OUT/llama-speed.json > /dev/null 2> $OUT/llama-speed.err
echo "llama-speed ($G) rc=$? ${SECONDS}s"; tail -4 $OUT/llama-speed.err
