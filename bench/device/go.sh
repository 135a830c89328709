#!/bin/bash
# bench/device/go.sh, copied to .d6/k/go.sh by bench/device/kit.sh. STEPS (space-separated, in order) from:
#   probe fam anchor eigh gslice cslice infer infer32 inferort recover anchor70 gslice70 file70 oprof pipe pipewait (oprof: ORT's per-program GPU times of gslice's run; file70: the streaming file path on a 4-layer 70B synth folder, ~4 min; pipe: the 7B pipeline in the background, pipewait: wait for it again; inferort: batch-1 decode with SLICE_STUDIO_DECODE=ort, after infer; inferone: dense then sliced in one process with ORT decoding — rc 139 means the shared-process crash is not the WGSL device's; inferonew: the same with WGSL decoding, one device kept for both models; wdec: the WGSL decoder alone, GEMV shapes GEMV=…; diag: #11's slow pipeline PCA bisected, DIAG="pipe nopf nockpt vram40 [bench]", ~7 min; rtinys: #16's tiny-model GPU training speed on tiny-llama's shape sliced 25 %, random weights, streamed — rtiny.sh's real slice needs a call of its own) — STOP_AT=<s> skips steps that would start later.
#   (rtinys and recover need dist/bench-recover.mjs, no longer in the kit: copy it into .d6/k/dist in place of bench-pipeline.mjs)
# Runtime (node + onnxruntime-node 1.30 + webgpu 0.6.2) unpacked once per machine into /tmp/devrt.
# LAYERS (gslice, cslice; default 2) and LAYERS70 (gslice70; default 2): two or more give slice.ts's steadySecondsPerLayer, the basis of
# assemble.py's oursOverAnchor (layer 0 also pays session creation and shader compilation). gslice70 with 2 layers: ~130 s estimated
# (one layer took 200 s in session 11, ~150 s of it the old JS random generator: embedding, layer, head), under SL_T's 300.
# eigh: EREP (default 2) solves of each size, the fastest reported — a slice solves each size many times (160 at 70B), so the warm solve is its cost;
#   session 12's 3.24 s at 8192 was one cold solve. EARGS adds flags (e.g. --pca-path).
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
probe) timeout 60 node bench/device/probe.mjs > $OUT/probe.json 2> $OUT/probe.err; echo "probe rc=$? ${SECONDS}s"; cut -c1-1500 $OUT/probe.json;;
fam) timeout ${FAM_T:-120} python3 test/fixtures/families/make_reference.py $OUT/families-reference.json > $OUT/families.log 2>&1; echo "families rc=$? ${SECONDS}s"; tail -2 $OUT/families.log;;
anchor) timeout ${ANC_T:-150} python3 $K/torch_slice_time.py --shape llama-2-7b > $OUT/anchor7b.json 2> $OUT/anchor7b.err; echo "anchor rc=$? ${SECONDS}s"; cat $OUT/anchor7b.json; tail -2 $OUT/anchor7b.err;;
anchor70) timeout ${ANC_T:-200} python3 $K/torch_slice_time.py --shape llama-2-70b --layers 1 > $OUT/anchor70b.json 2> $OUT/anchor70b.err; echo "anchor70 rc=$? ${SECONDS}s"; cat $OUT/anchor70b.json;;
gslice) SLICE_STUDIO_EIGH=gpu timeout ${SL_T:-240} node $K/dist/bench-slice.mjs $S7 > $OUT/slice7b-gpu-eigh.json 2> $OUT/slice7b-gpu-eigh.err; r=$?; echo "gslice rc=$r ${SECONDS}s"; tail -c 1200 $OUT/slice7b-gpu-eigh.json; tail -3 $OUT/slice7b-gpu-eigh.err
  if [ $r -ne 0 ]; then SLICE_STUDIO_EIGH=gpu timeout ${SL_T:-240} node $K/dist/bench-slice-old.mjs $S7 > $OUT/slice7b-gpu-eigh-old.json 2> $OUT/slice7b-gpu-eigh-old.err; echo "gslice-old rc=$? ${SECONDS}s"; tail -c 1200 $OUT/slice7b-gpu-eigh-old.json; tail -3 $OUT/slice7b-gpu-eigh-old.err; fi;;
cslice) timeout ${SL_T:-240} node $K/dist/bench-slice.mjs $S7 > $OUT/slice7b-cpu-eigh.json 2> $OUT/slice7b-cpu-eigh.err; echo "cslice rc=$? ${SECONDS}s"; tail -c 1200 $OUT/slice7b-cpu-eigh.json; tail -3 $OUT/slice7b-cpu-eigh.err;;
gslice70) SLICE_STUDIO_EIGH=gpu timeout ${SL_T:-300} node $K/dist/bench-slice.mjs --synthetic llama-2-70b --configs-dir $K/configs --layers ${LAYERS70:-2} --nsamples 128 --seqlen 2048 --ep webgpu --vram-gb 20 > $OUT/slice70b.json 2> $OUT/slice70b.err; echo "gslice70 rc=$? ${SECONDS}s"; tail -c 1200 $OUT/slice70b.json; tail -3 $OUT/slice70b.err;;
eigh) mkdir -p /tmp/eig; timeout ${EIG_T:-150} node $K/dist/bench-gpu-eigh.mjs --sizes ${SIZES:-1024,4096,8192} ${PANEL:+--panel $PANEL} --repeat ${EREP:-2} ${EARGS-} --no-ref --dump /tmp/eig > $OUT/wgsl-eigh.json 2> $OUT/wgsl-eigh.err; echo "eigh rc=$? ${SECONDS}s"; tail -c 1500 $OUT/wgsl-eigh.json; tail -3 $OUT/wgsl-eigh.err
  timeout ${TE_T:-90} python3 bench/torch_eigh.py ${SIZES:-1024,4096,8192} /tmp/eig > $OUT/torch-eigh.json 2> $OUT/torch-eigh.err; echo "torch eigh rc=$? ${SECONDS}s"; cat $OUT/torch-eigh.json; tail -2 $OUT/torch-eigh.err;;
infer32) # #14: dense vs sliced decode on the whole 7B depth (session 14: at 8 layers both decode at ~2.5 ms a token, per-token
  # overhead, so the slice's 25 % fewer weight bytes do not show). Its own folders (/tmp/isw32: ~24 GB), batch 1 only.
  for m in dense sliced; do timeout ${OURS_T:-300} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers 32 --work /tmp/isw32 --ep webgpu --dtype ${DTYPE:-f16} --prompt 512 --prefill-batch 1 --decode-batch 1 --decode-prompt 128 --new 64 --repeats 3 --only $m --label "32 layers" --json $OUT/infer32-$m.json > /dev/null 2> $OUT/infer32-$m.err; echo "infer32 $m rc=$? ${SECONDS}s"; grep -v onnxruntime $OUT/infer32-$m.err | tail -2; done
  python3 -c "import json,sys; t=lambda f: json.load(open(f))['models']; d=t(sys.argv[1])['dense']['decode'][0]['tokensPerSecond']; s=t(sys.argv[2])['sliced']['decode'][0]['tokensPerSecond']; print('32 layers decode b1: dense', round(d,1), 'sliced', round(s,1), 'sliced/dense', round(s/d,3))" $OUT/infer32-dense.json $OUT/infer32-sliced.json;;
infer) A="--prompt 2048 --prefill-batch 8 --decode-batch 16 --decode-prompt 128 --new 32 --repeats 2"; GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')
  # One process per model (--only): one model's crash cannot take the other's numbers; merged into infer-speed.json.
  for m in dense sliced; do timeout ${OURS_T:-200} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${ILAYERS:-8} --work /tmp/isw --ep webgpu --dtype ${DTYPE:-f16} $A --only $m --label "$GPU" ${IPROF-} --json $OUT/infer-$m.json > /dev/null 2> $OUT/infer-$m.err; echo "infer $m rc=$? ${SECONDS}s"; grep -v onnxruntime $OUT/infer-$m.err | tail -3; done
  python3 -c "import json,sys; a=[json.load(open(f)) for f in sys.argv[2:] if __import__('os').path.exists(f)]; r=a[0]; [r['models'].update(x['models']) for x in a[1:]]; t=lambda n: ((r['models'].get(n) or {}).get('decode') or [{}])[0].get('tokensPerSecond'); r['slicedOverDenseDecodeBatch1']=(t('sliced')/t('dense')) if t('sliced') and t('dense') else None; r['note']='dense and sliced measured in separate processes (--only)'; json.dump(r,open(sys.argv[1],'w'),indent=1); print('sliced/dense decode b1', r['slicedOverDenseDecodeBatch1'])" $OUT/infer-speed.json $OUT/infer-dense.json $OUT/infer-sliced.json
  timeout ${TORCH_T:-120} python3 bench/torch_infer_speed.py --config $K/configs/llama-2-7b-hf.json --layers ${ILAYERS:-8} $A > $OUT/torch-infer.jsonl 2> $OUT/torch-infer.err; echo "torch infer rc=$? ${SECONDS}s"; tail -c 800 $OUT/torch-infer.jsonl;;
wdec) timeout ${WD_T:-200} node $K/dist/bench-wgsl-decode.mjs --gemv ${GEMV:-16x8,32x4,32x8,64x4} > $OUT/wgsl-decode.json 2> $OUT/wgsl-decode.err; echo "wgsl-decode rc=$? ${SECONDS}s"; tail -c 1500 $OUT/wgsl-decode.json; tail -3 $OUT/wgsl-decode.err;;
inferone) # the crash check of session 9: dense then sliced in ONE process with ORT decoding (no WGSL device reopened between them)
  SLICE_STUDIO_DECODE=ort timeout ${OURS_T:-200} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${ILAYERS:-8} --work /tmp/isw --ep webgpu --dtype ${DTYPE:-f16} --prompt 128 --prefill-batch 1 --decode-batch 1 --decode-prompt 128 --new 8 --repeats 1 --label "one process, ORT decode" --json $OUT/infer-one.json > /dev/null 2> $OUT/infer-one.err; echo "infer one process (ORT decode) rc=$? ${SECONDS}s"; grep -v onnxruntime $OUT/infer-one.err | tail -3;;
inferonew) # wave 10: dense then sliced in ONE process with WGSL decoding — one Dawn device for both (no reopen), ORT's runner disposed before each WGSL upload; models.*.held and vram.phases say who held what
  timeout ${OURS_T:-300} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${ILAYERS:-8} --work /tmp/isw --ep webgpu --dtype ${DTYPE:-f16} --prompt 2048 --prefill-batch 8 --decode-batch 16 --decode-prompt 128 --new 32 --repeats 2 --label "one process, WGSL decode, one copy at a time" --json $OUT/infer-one-wgsl.json > /dev/null 2> $OUT/infer-one-wgsl.err; echo "infer one process (WGSL) rc=$? ${SECONDS}s"; grep -v onnxruntime $OUT/infer-one-wgsl.err | tail -3;;
inferort) SLICE_STUDIO_DECODE=ort timeout ${OURS_T:-200} node $K/dist/bench-infer-speed.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${ILAYERS:-8} --work /tmp/isw --ep webgpu --dtype ${DTYPE:-f16} --prompt 128 --prefill-batch 1 --decode-batch 1 --decode-prompt 128 --new 32 --repeats 2 --label "ORT decode" --json $OUT/infer-speed-ort.json > /dev/null 2> $OUT/infer-speed-ort.err; echo "infer (ORT decode) rc=$? ${SECONDS}s"; tail -3 $OUT/infer-speed-ort.err;;
rtinys) timeout ${RT_T:-120} node $K/dist/bench-recover.mjs --synthetic tiny-llama --configs-dir $K/configs --layers 4 --ratio 0.25 --mode streamed --ep webgpu --batch 4 --seq 256 --steps 5 --label "tiny-llama shape sliced 25 % (random weights) streamed webgpu 4x256" >> $OUT/recover-tiny.jsonl 2>> $OUT/recover-tiny.err; echo "recover tiny (synthetic) rc=$? ${SECONDS}s"; tail -1 $OUT/recover-tiny.jsonl | cut -c1-400;;
recover) for b in 1 4; do timeout 150 node $K/dist/bench-recover.mjs --synthetic llama-2-7b --configs-dir $K/configs --layers 2 --ratio 0.25 --mode streamed --ep webgpu --batch $b --seq 1024 --steps 2 --label "7b-shape 2 layers streamed webgpu ${b}x1024" >> $OUT/recover.jsonl 2>> $OUT/recover.err; echo "recover b$b rc=$? ${SECONDS}s"; tail -1 $OUT/recover.jsonl | cut -c1-400; done;;
pipe) # #11's 7B pipeline (bench/pipeline.ts) in the background (setsid: it outlives this call while the machine stays warm);
  # waits up to PIPE_WAIT s, then leaves it running: a later call's `pipewait` step waits again. /tmp/pipe.json is rewritten after every phase.
  GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-'); mkdir -p /tmp/pipe
  for d in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do  # llama.cpp's CUDA 13 libraries for the verify phase (the llamacuda kit)
    for l in $(find "$d/nvidia" -name 'libcudart.so.13*' -o -name 'libcublas.so.13*' 2>/dev/null); do export LD_LIBRARY_PATH=$(dirname "$l")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; done; done
  [ -f /tmp/pipe.pid ] && kill -0 $(cat /tmp/pipe.pid) 2>/dev/null && echo "pipeline already running" || {
  setsid nohup node $K/dist/bench-pipeline.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --work /tmp/pipe/work --label "$GPU, 16 CPU cores" ${PARGS-} --json /tmp/pipe.json > /tmp/pipe.out 2> /tmp/pipe.err < /dev/null & echo $! > /tmp/pipe.pid; }
  ;&
pipewait) w=0; while kill -0 $(cat /tmp/pipe.pid) 2>/dev/null && [ $w -lt ${PIPE_WAIT:-540} ]; do sleep 5; w=$((w+5)); done
  kill -0 $(cat /tmp/pipe.pid) 2>/dev/null && echo "pipeline still running after ${w}s" || echo "pipeline finished"; cp /tmp/pipe.json /tmp/pipe.out /tmp/pipe.err $OUT/ 2>/dev/null
  grep -v onnxruntime /tmp/pipe.err | tail -8; python3 -c "import json; r=json.load(open('/tmp/pipe.json')); [print(p['phase'], p.get('seconds'), p.get('error','')) for p in r.get('phases',[])]" 2>/dev/null;;
file70) # #11 item 4: the streaming file path at the 70B shape — a `synth --layers 4` LLaMA-2-70B bf16 folder (~8 GB: the
  # whole model's 138 GB does not fit the disk) sliced as the app slices a folder (its WikiText-2 windows, prefetch,
  # checkpoint, writer) at 128 × 2048 under the consumer budget: --vram-gb 20 and, where this container lets us make a
  # cgroup, memory.max = F70_RAM_GB (48) GiB enforced (else the peak RSS is shown against it). Per layer: slice.ts's
  # timings; $OUT/file70.json (+ .jsonl per layer, -cgroup.txt: enforced or not, memory.peak). F70_CFG/F70_EP/F70_ARGS
  # override the shape, EP and calibration (a tiny config on the CPU EP checks the step off the GPU machine).
  mkdir -p /tmp/f70; C=${F70_CFG:-$K/configs/llama-2-70b-hf.json}
  [ -f /tmp/f70/work/synth/config.json ] || { timeout ${F70_SYNTH_T:-200} node $K/dist/bench-pipeline.mjs --config $C --tokenizer $K/tok --layers ${F70_LAYERS:-4} --work /tmp/f70/work --keep --skip inspect,plan,slice,ppl,onnx,uniform,gguf,verify > /dev/null 2> /tmp/f70/synth.err; echo "file70 synth rc=$? ${SECONDS}s $(du -sh /tmp/f70/work/synth | cut -f1)"; tail -2 /tmp/f70/synth.err; }
  cg=/sys/fs/cgroup/slice-studio-f70; lim=$(( ${F70_RAM_GB:-48} * 1073741824 )); pre=""
  if mkdir -p $cg 2>/dev/null && grep -qw memory $cg/cgroup.controllers 2>/dev/null && echo $lim > $cg/memory.max 2>/dev/null && echo 0 > $cg/memory.swap.max 2>/dev/null; then pre="{ echo \$\$ > $cg/cgroup.procs && grep -qx '0::/slice-studio-f70' /proc/\$\$/cgroup && echo moved > /tmp/f70/moved; };"; echo "cgroup v2 memory.max=$lim (swap 0)" > $OUT/file70-cgroup.txt
  else rmdir $cg 2>/dev/null || rm -rf $cg 2>/dev/null; echo "not enforced (no writable cgroup v2 with the memory controller here): peak RSS shown against ${F70_RAM_GB:-48} GiB" > $OUT/file70-cgroup.txt; fi
  rm -rf /tmp/f70/w /tmp/f70/file70.jsonl /tmp/f70/moved
  SLICE_STUDIO_EIGH=gpu timeout ${F70_T:-420} sh -c "$pre exec node $K/dist/bench-slice.mjs --source-folder /tmp/f70/work/synth --cal wikitext2 ${F70_ARGS:---nsamples 128 --seqlen 2048} --ep ${F70_EP:-webgpu} --vram-gb 20 --checkpoint --write /tmp/f70/w --timings-jsonl /tmp/f70/file70.jsonl" > $OUT/file70.json 2> $OUT/file70.err; r=$?
  [ -n "$pre" ] && { [ -f /tmp/f70/moved ] && sed -i '1s/^/enforced: /' $OUT/file70-cgroup.txt || sed -i '1s/^/NOT enforced (the process could not join it): /' $OUT/file70-cgroup.txt; }; rm -f /tmp/f70/moved
  [ -f $cg/memory.peak ] && echo "memory.peak $(cat $cg/memory.peak) bytes; memory.events: $(tr '\n' ' ' < $cg/memory.events 2>/dev/null)" >> $OUT/file70-cgroup.txt
  rmdir $cg 2>/dev/null; cp /tmp/f70/file70.jsonl $OUT/ 2>/dev/null; echo "file70 rc=$r ${SECONDS}s out $(du -sh /tmp/f70/w 2>/dev/null | cut -f1)"; cat $OUT/file70-cgroup.txt; grep -v onnxruntime $OUT/file70.err | tail -3
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print({k:r.get(k) for k in ('meanSecondsPerLayer','steadySecondsPerLayer','peakRssBytes','spilledChunks','wallSeconds')})" $OUT/file70.json 2>/dev/null;;
oprof) # where a layer's GPU time goes (#11: the 7B signals phase is ~1.7× the anchor's forward, all of it one blocked download):
  # gslice's run (OPROF_ARGS, default the 7B shape, LAYERS layers) with SLICE_STUDIO_ORT_PROFILE — every pass and helper
  # session writes ORT's trace, with each WebGPU program's GPU time from timestamp queries (core/runtime/ort-profile.ts) —
  # summed by bench/device/ort-profile.py into $OUT/ort-profile.json (programs by GPU ms, nodes by op, per session).
  # Profiling splits compute passes at every program, so its layer times are not the benchmark's.
  rm -rf /tmp/oprof; mkdir -p /tmp/oprof; SLICE_STUDIO_ORT_PROFILE=/tmp/oprof SLICE_STUDIO_EIGH=gpu timeout ${OP_T:-300} node $K/dist/bench-slice.mjs ${OPROF_ARGS:-$S7} > $OUT/oprof-slice.json 2> $OUT/oprof-slice.err
  echo "oprof rc=$? ${SECONDS}s $(ls /tmp/oprof | wc -l) traces $(du -sh /tmp/oprof | cut -f1)"; grep -v onnxruntime $OUT/oprof-slice.err | tail -2; python3 bench/device/ort-profile.py /tmp/oprof $OUT/ort-profile.json;;
diag) # #11: the pipeline's WGSL PCA ran 4–7× slower than gslice's. One synth 7B folder of DIAG_LAYERS (3) layers (bench-pipeline's synth
  # phase alone), sliced by bench-slice as the pipeline slices it (the folder, its WikiText-2 windows, prefetch, checkpoint, writer, batch 2,
  # 4 GiB VRAM/RAM budgets: `pipe`), then with one condition changed each: noyield the prefetch not yielding to the PCA/products (SLICE_STUDIO_PREFETCH_YIELD=0, the scheduling before session 11), nopf --no-prefetch, nockpt no checkpoint, vram40 --vram-gb 40;
  # `bench` (not by default) = gslice's conditions on the folder. One process per variant (DIAG_T s each; none starts after DIAG_STOP s),
  # merged into $OUT/diag.json by bench/device/diag.py (a variant cut short keeps its finished layers); its table: per layer, the WGSL
  # solver's waits (.wait) and the event loop held meanwhile (.blocked), the loop's stalls per phase (L.*: loop-delay.ts).
  mkdir -p /tmp/diag; [ -f /tmp/diag/work/synth/config.json ] || { timeout 150 node $K/dist/bench-pipeline.mjs --config $K/configs/llama-2-7b-hf.json --tokenizer $K/tok --layers ${DIAG_LAYERS:-3} --work /tmp/diag/work --keep --skip inspect,plan,slice,ppl,onnx,uniform,gguf,verify > /dev/null 2> /tmp/diag/synth.err; echo "diag synth rc=$? ${SECONDS}s"; tail -2 /tmp/diag/synth.err; }
  D="--source-folder /tmp/diag/work/synth --cal wikitext2 --nsamples 128 --seqlen 2048 --ep webgpu --batch 2 --ram-gb 4"; W="--write /tmp/diag/w"; V=""
  for v in ${DIAG:-pipe noyield nopf nockpt vram40}; do [ $SECONDS -gt ${DIAG_STOP:-440} ] && { echo "diag $v skipped (time)"; continue; }
    E=""; case $v in pipe) X="$W --checkpoint --vram-gb 4";; noyield) X="$W --checkpoint --vram-gb 4"; E="SLICE_STUDIO_PREFETCH_YIELD=0";; nopf) X="$W --checkpoint --vram-gb 4 --no-prefetch";; nockpt) X="$W --vram-gb 4";; vram40) X="$W --checkpoint --vram-gb 40";; bench) X="--vram-gb 40 --batch 8 --no-prefetch";; *) echo "diag: unknown variant $v"; continue;; esac
    rm -rf /tmp/diag/w /tmp/diag/diag-$v.*; timeout ${DIAG_T:-140} env $E node $K/dist/bench-slice.mjs $D $X --timings-jsonl /tmp/diag/diag-$v.jsonl > /tmp/diag/diag-$v.json 2> /tmp/diag/diag-$v.err; r=$?; echo $r > /tmp/diag/diag-$v.rc; V="$V $v"
    echo "diag $v rc=$r ${SECONDS}s"; grep -v onnxruntime /tmp/diag/diag-$v.err | tail -2; done
  python3 bench/device/diag.py $OUT/diag.json /tmp/diag $V;;
esac; done
# The device tool brings back only a few files a call (session 13 lost gslice's and gslice70's JSON to "files_left_out
# … (count)" behind eight others): every step's files go back as one tarball, go-<time>.tgz; assemble.py unpacks it.
# A later call's own copies (the pipe's /tmp/pipe.*) should be tarred the same way. The tarball takes everything in
# $OUT, subfolders too: a second go.sh in the same call needs its own OUT folder made after the first returns.
(cd $OUT && f=$(ls -A | grep -v '\.tgz$'); [ -n "$f" ] && tar -czf go-$(date +%H%M%S).tgz --remove-files $f; ls -la $OUT | tail -n +2)
