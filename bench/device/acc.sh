#!/bin/bash
# bench/device/acc.sh, copied to .d6/acc/acc.sh by `bash bench/device/kit.sh acc`: #11's accuracy bar on a real GPU —
# the shared models sliced at 0.1/0.25/0.5 under the protocol through the device engine on WebGPU (its default
# PCA, the WGSL eigensolver), float32 then float16 passes; compare with the float64 host engine's numbers in
# bench/results/slice-accuracy-pass-dtype-cpu-ep.json (same protocol, 128 windows). Needs the runtime a go.sh call
# of the same lease unpacked (/tmp/devrt): carry [".d6/acc"] on the warm machine, command `OUT=$OUT bash .d6/acc/acc.sh`.
# EXTRA: more bench-slice flags, e.g. EXTRA="--eval-ep cpu" MODELS=tiny-stories PASSES=f32 (each slice's perplexity on the
# CPU EP too: splits a WebGPU deviation between the slicing passes and the evaluation); EXTRA="--ep cpu --eval-ep webgpu"
# the other way round (later flags win).
cd "$(dirname "$0")/../.."; A=.d6/acc; EXTRA=${EXTRA:-}
[ -f /tmp/devrt/node ] || { echo "no /tmp/devrt: run a go.sh step in this lease first"; exit 3; }
export PATH=/tmp/devrt:$PATH VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -e node_modules ] || ln -s /tmp/devrt/node_modules node_modules
export SLICE_STUDIO_SHARED=$PWD/$A/shared SLICE_STUDIO_RESOURCES=$PWD/resources
for pd in ${PASSES:-f32 f16}; do [ $SECONDS -gt ${STOP_AT:-99999} ] && { echo "skip $pd (time)"; continue; }
  # One process per model: one model's crash cannot take the others' numbers; merged into acc-$pd.json.
  rm -f /tmp/acc-$pd-*.json
  for m in $(echo ${MODELS:-tiny-llama,tiny-opt,tiny-phi,tiny-stories} | tr , ' '); do
    timeout ${ACC_T:-120} node $A/bench-slice.mjs --models $m --ratios 0.1,0.25,0.5 --windows ${WINDOWS:-128} --ep webgpu --engine device --pass-dtype $pd $EXTRA > /tmp/acc-$pd-$m.json 2>> $OUT/acc-$pd.err
    echo "acc $pd $m rc=$? ${SECONDS}s"; done
  python3 -c "import json,sys,os
def ld(f):
  try: return json.load(open(f))
  except Exception: return None
a=[x for x in map(ld, sys.argv[2:]) if x]; r=a[0]; [r['models'].update(x['models']) for x in a[1:]]; json.dump(r,open(sys.argv[1],'w'),indent=1); print({m: [round(s['ppl'],3) for s in v['sliced']] for m,v in r['models'].items()})" $OUT/acc-$pd.json /tmp/acc-$pd-*.json
  grep -v onnxruntime $OUT/acc-$pd.err | grep -i "error\|fault" | tail -3; done
