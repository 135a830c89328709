#!/bin/bash
# bench/device/llama.sh, copied to .d6/llama/llama.sh by `bash bench/device/kit.sh llama`: #14's dense vs sliced speed
# in llama.cpp on the GPU. After go.sh's `infer` step on the same warm machine (its runtime in /tmp/devrt, its synth
# folders in /tmp/isw: dense/ and sliced/, the uniform slice's shapes), a later call: carry [".d6/llama"], command
# `OUT=$OUT bash .d6/llama/llama.sh`. Unpacks node-llama-cpp and its Vulkan (and CPU) binaries into the runtime once,
# exports both folders to GGUF F16 in $WORK/gguf (kept for another call), and times them in llama.cpp with every
# layer offloaded (bench/llama-speed.ts): batch-1 prefill at 2048 tokens and greedy decode of 32 tokens after 128,
# as go.sh's infer step times ours. $OUT/llama-speed.json, a summary on stdout.
#   GPU=vulkan|cpu (cuda: node-llama-cpp's linux-x64-cuda binaries are 159 MB, too big to carry: see kit.sh)
#   DEVRT (default /tmp/devrt) WORK (default /tmp/isw) LLAMA_ARGS (extra bench flags, e.g. --flash-attn) LS_T (timeout s)
cd "$(dirname "$0")/../.."; L=.d6/llama; RT=${DEVRT:-/tmp/devrt}; W=${WORK:-/tmp/isw}; G=${GPU:-vulkan}
[ -x $RT/node ] || { echo "no $RT/node: run a go.sh step in this lease first"; exit 3; }
[ -f $W/dense/config.json ] && [ -f $W/sliced/config.json ] || { echo "no synth folders in $W: run go.sh's infer step first"; exit 3; }
[ -f $RT/node_modules/node-llama-cpp/package.json ] || tar -C $RT -xJf $L/llama.tar.xz || exit 4
# The bundle resolves its external packages (node-llama-cpp, onnxruntime-node) from the runtime's node_modules.
cp $L/bench-llama-speed.mjs $RT/
export PATH=$RT:$PATH VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
[ "$G" != vulkan ] || ldconfig -p | grep -q libvulkan.so.1 || echo "no Vulkan loader (libvulkan.so.1): go.sh installs it from .d6/k/debs; run a go.sh step in this lease first"
LABEL=$( (nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo here) | head -1 | tr ' ' '-')
timeout ${LS_T:-500} node $RT/bench-llama-speed.mjs --dense $W/dense --sliced $W/sliced --work $W/gguf --gpu $G \
  --prompt ${PROMPT:-2048} --decode-prompt ${DPROMPT:-128} --new ${NEW:-32} --repeats ${REPEATS:-2} --label "$LABEL" ${LLAMA_ARGS-} \
  --json $OUT/llama-speed.json > /dev/null 2> $OUT/llama-speed.err
echo "llama-speed ($G) rc=$? ${SECONDS}s"; tail -4 $OUT/llama-speed.err
