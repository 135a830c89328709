#!/bin/bash
# bench/device/go.sh, copied to .d6/k/go.sh by bench/device/kit.sh. STEPS (space-separated, in order) from:
#   fam anchor eigh gslice cslice infer inferort recover anchor70 gslice70 (inferort: batch-1 decode with SLICE_STUDIO_DECODE=ort, after infer; wdec: the WGSL decoder alone, GEMV shapes GEMV=…) — STOP_AT=<s> skips steps that would start later.
# Runtime (node + onnxruntime-node 1.30 + webgpu 0.6.2) unpacked once per machine into /tmp/devrt.
# PROF="--profile" (gslice: runs and MB per layer), IPROF="--profile" (infer: runs and MB per decoded token),
# SLICE_STUDIO_SECULAR_THREADS=1 (the D&C secular solve on one thread, to compare with the default pool).
cd "$(dirname "$0")/../.."; K=.d6/k; export PYTHONUNBUFFERED=1
for f in $K/debs/*.deb; do dpkg -x "$f" / ; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -x /tmp/devrt/node_modules/webgpu/index.js ] || [ -f /tmp/devrt/node_modules/webgpu/index.js ] || { mkdir -p /tmp/devrt && tar -C /tmp/devrt -xJf $K/rt.tar.xz && tar -C /tmp/devrt -xJf $K/webgpu.tar.xz; }
export PATH=/tmp/devrt:$PATH; [ -e node_modules ] || ln -s /tmp/devrt/node_modules node_modules
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt; node --version; echo "setup ${SECONDS}s"
S7="--synthetic llama-2-7b --configs-dir $K/configs --layers ${LAYERS:-2} --nsamples 128 --seqlen 2048 --ep webgpu ${PROF-}"
for s in ${STEPS:-fam anchor gslice eigh}; do [ $SECONDS -gt ${STOP_AT:-99999} ] && { echo "skip $s (time)"; continue; }; case $s in
fam) timeout ${FAM_T:-120} python3 test/fixtures/families/make_reference.py $OUT/families-reference.json > $OUT/families.log 2>&1; echo "families rc=$? ${SECONDS}s"; tail -2 $OUT/families.log;;
anchor) timeout ${ANC_T:-150} python3 $K/torch_slice_time.py --shape llama-2-7b > $OUT/anchor7b.json 2> $OUT/anchor7b.err; echo "anchor rc=$? ${SECONDS}s"; cat $OUT/anchor7b.json; tail -2 $OUT/anchor7b.err;;
anchor70) timeout ${ANC_T:-200} python3 $K/torch_slice_time.py --shape llama-2-70b --layers 1 > $OUT/anchor70b.json 2> $OUT/anchor70b.err; echo "anchor70 rc=$? ${SECONDS}s"; cat $OUT/anchor70b.json;;
gslice) SLICE_STUDIO_EIGH=gpu timeout ${SL_T:-240} node $K/dist/bench-slice.mjs $S7 > $OUT/slice7b-gpu-eigh.json 2> $OUT/slice7b-gpu-eigh.err; r=$?; echo "gslice rc=$r ${SECONDS}s"; tail -c 1200 $OUT/slice7b-gpu-eigh.json; tail -3 $OUT/slice7b-gpu-eigh.err
  if [ $r -ne 0 ]; then SLICE_STUDIO_EIGH=gpu timeout ${SL_T:-240} node $K/dist/bench-slice-old.mjs $S7 > $OUT/slice7b-gpu-eigh-old.json 2> $OUT/slice7b-gpu-eigh-old.err; echo "gslice-old rc=$? ${SECONDS}s"; tail -c 1200 $OUT/slice7b-gpu-eigh-old.json; tail -3 $OUT/slice7b-gpu-eigh-old.err; fi;;
cslice) timeout ${SL_T:-240} node $K/dist/bench-slice.mjs $S7 > $OUT/slice7b-cpu-eigh.json 2> $OUT/slice7b-cpu-eigh.err; echo "cslice rc=$? ${SECONDS}s"; tail -c 1200 $OUT/slice7b-cpu-eigh.json; tail -3 $OUT/slice7b-cpu-eigh.err;;
gslice70) SLICE_STUDIO_EIGH=gpu timeout ${SL_T:-300} node $K/dist/bench-slice.mjs --synthetic llama-2-70b --configs-dir $K/configs --layers 1 --nsamples 128 --seqlen 2048 --ep webgpu --vram-gb 20 > $OUT/slice70b.json 2> $OUT/slice70b.err; echo "gslice70 rc=$? ${SECONDS}s"; tail -c 1200 $OUT/slice70b.json; tail -3 $OUT/slice70b.err;;
eigh) mkdir -p /tmp/eig; timeout ${EIG_T:-150} node $K/dist/bench-gpu-eigh.mjs --sizes ${SIZES:-1024,4096,8192} ${PANEL:+--panel $PANEL} --no-ref --dump /tmp/eig > $OUT/wgsl-eigh.json 2> $OUT/wgsl-eigh.err; echo "eigh rc=$? ${SECONDS}s"; tail -c 1500 $OUT/wgsl-eigh.json; tail -3 $OUT/wgsl-eigh.err
  timeout ${TE_T:-90} python3 bench/torch_eigh.py ${SIZES:-1024,4096,8192} /tmp/eig > $OUT/torch-eigh.json 2> $OUT/torch-eigh.err; echo "torch eigh rc=$? ${SECONDS}s"; cat $OUT/torch-eigh.json; tail -2 $OUT/torch-eigh.err;;
infer) A="--prompt 2048 --prefill-batch 8 --decode-batch 16 --decode-prompt 128 --new 32 --repeats 2"; GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')
  timeout ${OURS_T:-200} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${ILAYERS:-8} --work /tmp/isw --ep webgpu --dtype ${DTYPE:-f16} $A --label "$GPU" ${IPROF-} --json $OUT/infer-speed.json > /dev/null 2> $OUT/infer-speed.err; echo "infer rc=$? ${SECONDS}s"; tail -3 $OUT/infer-speed.err
  timeout ${TORCH_T:-120} python3 bench/torch_infer_speed.py --config $K/configs/llama-2-7b-hf.json --layers ${ILAYERS:-8} $A > $OUT/torch-infer.jsonl 2> $OUT/torch-infer.err; echo "torch infer rc=$? ${SECONDS}s"; tail -c 800 $OUT/torch-infer.jsonl;;
wdec) timeout ${WD_T:-200} node $K/dist/bench-wgsl-decode.mjs --gemv ${GEMV:-16x8,32x4,32x8,64x4} > $OUT/wgsl-decode.json 2> $OUT/wgsl-decode.err; echo "wgsl-decode rc=$? ${SECONDS}s"; tail -c 1500 $OUT/wgsl-decode.json; tail -3 $OUT/wgsl-decode.err;;
inferort) SLICE_STUDIO_DECODE=ort timeout ${OURS_T:-200} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${ILAYERS:-8} --work /tmp/isw --ep webgpu --dtype ${DTYPE:-f16} --prompt 128 --prefill-batch 1 --decode-batch 1 --decode-prompt 128 --new 32 --repeats 2 --label "ORT decode" --json $OUT/infer-speed-ort.json > /dev/null 2> $OUT/infer-speed-ort.err; echo "infer (ORT decode) rc=$? ${SECONDS}s"; tail -3 $OUT/infer-speed-ort.err;;
recover) for b in 1 4; do timeout 150 node $K/dist/bench-recover.mjs --synthetic llama-2-7b --configs-dir $K/configs --layers 2 --ratio 0.25 --mode streamed --ep webgpu --batch $b --seq 1024 --steps 2 --label "7b-shape 2 layers streamed webgpu ${b}x1024" >> $OUT/recover.jsonl 2>> $OUT/recover.err; echo "recover b$b rc=$? ${SECONDS}s"; tail -1 $OUT/recover.jsonl | cut -c1-400; done;;
esac; done
