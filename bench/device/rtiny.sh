#!/bin/bash
# bench/device/rtiny.sh, copied to .d6/rtiny/rtiny.sh by `bash bench/device/kit.sh rtiny`: #16's training speed of a
# tiny model on the GPU (the 7B-shape stack is go.sh's `recover` step): tiny-llama sliced 25 % (float32, made by
# kit.sh), LoRA r 32 on all seven linears, 4 × 256, both engines on WebGPU, tokens/s and peak RSS. Needs the runtime
# a go.sh call of the same lease unpacked (/tmp/devrt): carry [".d6/rtiny"], command `OUT=$OUT bash .d6/rtiny/rtiny.sh`.
cd "$(dirname "$0")/../.."; R=.d6/rtiny
[ -f /tmp/devrt/node ] || { echo "no /tmp/devrt: run a go.sh step in this lease first"; exit 3; }
export PATH=/tmp/devrt:$PATH VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -e node_modules ] || ln -s /tmp/devrt/node_modules node_modules
for mode in whole streamed; do timeout ${RT_T:-120} node $R/bench-recover.mjs --model $R/tiny-llama-s25 --mode $mode --ep webgpu --batch 4 --seq 256 --steps 5 --label "tiny-llama 25 % $mode webgpu 4x256" >> $OUT/recover-tiny.jsonl 2>> $OUT/recover-tiny.err
  echo "recover tiny $mode rc=$? ${SECONDS}s"; tail -1 $OUT/recover-tiny.jsonl | cut -c1-300; done
