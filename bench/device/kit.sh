#!/usr/bin/env bash
# The GPU machine's kit for bench/device/go.sh, rebuilt from nothing in ~4 minutes (ignored folders do not survive
# between sessions). From the repository root, after `npm install`:
#   bash bench/device/kit.sh            → .d6/k (~45 MB: stripped Node + onnxruntime-node 1.30 linux-x64 + webgpu 0.6.2
#                                          (Dawn, linux-x64 only, from the registry), Vulkan/GL loader .debs, the bench
#                                          bundles, LLaMA-2 7B/70B configs, the llama-2 tokenizer, the anchor script)
#   bash bench/device/kit.sh hide       → the tree that travels must leave room for the kit under the 64 MiB limit:
#                                          hellaswag_val_full.txt (7.8 MB, not needed there) is untracked in the index
#                                          and excluded for the device call …
#   bash bench/device/kit.sh unhide     → … and restored right after it (never commit between hide and unhide).
#   bash bench/device/kit.sh size .d6/k → the call's size by disk blocks, as the device tool counts it (≤ 64 MiB).
# Device call: carry [".d6/k"], command `STEPS="fam anchor eigh gslice" OUT=$OUT bash .d6/k/go.sh`; then
#   bash bench/device/kit.sh hf         → .d6/hf, the transformers check of `export --format hf` (its own call).
#   bash bench/device/kit.sh rtiny      → .d6/rtiny, #16's tiny-model training speed on the GPU (bench/device/rtiny.sh; a warm machine's later call).
#   bash bench/device/kit.sh llama      → .d6/llama, #14's dense vs sliced speed in llama.cpp on Vulkan (bench/device/llama.sh; a warm machine's later call, after go.sh's infer).
#   bash bench/device/kit.sh evals      → .d6/ev, #14's WikiText-2 + zero-shot timings at 7B (bench/device/evals.sh; a warm machine's later call).
#   bash bench/device/kit.sh acc        → .d6/acc, the GPU path's sliced-perplexity accuracy (bench/device/acc.sh; a warm machine's later call).
#   python3 bench/device/assemble.py <files_at> "<lease UTC>" writes bench/results/*-<card>-session<N>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
H=resources/evals/hellaswag/hellaswag_val_full.txt
SH=${SLICE_STUDIO_SHARED:-../shared}  # the shared assets, as test/shared.ts finds them
EX=$(git rev-parse --git-path info/exclude)  # .git is a file in a worktree
case "${1:-build}" in
hide) git rm -q --cached "$H"; echo "/$H" >> "$EX"; exit 0;;
unhide) git reset -q HEAD -- "$H"; sed -i "\#^/$H\$#d" "$EX"; exit 0;;
hidemore) # the kit with the pipeline bundle needs more room: four tracked files the device steps never read (tiny-llama's
    # 10 MB of weights since session 13, when the tree measured over 64 MiB by disk blocks)
    for f in resources/data/alpaca/alpaca_5000.json resources/evals/arc_easy/ARC-Easy-Test.jsonl test/fixtures/families/reference.json resources/models/tiny-llama/model.safetensors; do git rm -q --cached "$f"; echo "/$f" >> "$EX"; done; exit 0;;
unhidemore) for f in resources/data/alpaca/alpaca_5000.json resources/evals/arc_easy/ARC-Easy-Test.jsonl test/fixtures/families/reference.json resources/models/tiny-llama/model.safetensors; do git reset -q HEAD -- "$f"; sed -i "\#^/$f\$#d" "$EX"; done; exit 0;;
size) # what a device call with these kits carries, by disk blocks as the device tool counts it (bytes alone
    # passed at 66.4 MB when the tool refused the call): `bash bench/device/kit.sh size .d6/k` after hide/hidemore
    t=$(git ls-files -z | du -c --block-size=1 --files0-from=- 2>/dev/null | tail -1 | cut -f1); u=$(git ls-files -z -o --exclude-standard | du -c --block-size=1 --files0-from=- 2>/dev/null | tail -1 | cut -f1)
    k=0; for d in "${@:2}"; do k=$((k + $(du -s --block-size=1 "$d" | cut -f1))); done; all=$((t + ${u:-0} + k))
    echo "tracked $((t/1048576)) MiB + untracked $((${u:-0}/1048576)) MiB + kits $((k/1048576)) MiB = $((all/1048576)) MiB of 64"; [ $all -le 67108864 ] || { echo "over the device call's 64 MiB: hide more (kit.sh hide, hidemore) or carry less"; exit 1; }; exit 0;;
hf) # #15's transformers check of `export --format hf` (python only; 43 MB: a call of its own, without .d6/k):
    # carry [".d6/hf"], command `OUT=$OUT HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 CUDA_VISIBLE_DEVICES= python3 .d6/hf/check.py`
    grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
    rm -rf .d6/hf; npx tsx test/fixtures/hf/make-device-check.ts .d6/hf && cp test/fixtures/hf/check.py .d6/hf/; du -sh .d6/hf; exit 0;;
acc) # #11's GPU-path accuracy bar (bench/device/acc.sh): the slice bundle + the four shared models (~34 MB); a later
    # call of a lease whose machine already holds /tmp/devrt: carry [".d6/acc"], command `OUT=$OUT bash .d6/acc/acc.sh`
    grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
    rm -rf .d6/acc; mkdir -p .d6/acc/shared/models; node scripts/build.mjs bench >/dev/null; cp dist/bench-slice.mjs dist/bench-ep-diff.mjs bench/device/acc.sh .d6/acc/
    for m in tiny-llama tiny-opt tiny-phi tiny-stories; do cp -r "$SH/models/$m" .d6/acc/shared/models/; done; du -sh .d6/acc; exit 0;;
llama) # #14's dense vs sliced tokens/s in llama.cpp (bench/device/llama.sh): the llama-speed bundle + node-llama-cpp's JS
    # with its dependency closure + its prebuilt Vulkan and CPU binaries, xz'd (~20 MB); a later call of a lease, after
    # go.sh's infer step: carry [".d6/llama"], command `OUT=$OUT bash .d6/llama/llama.sh`. LLAMA_BINS picks the binary
    # packages; CUDA (linux-x64-cuda, 159 MB of libggml-cuda.so) cannot travel in one call's 64 MiB.
    grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
    rm -rf .d6/llama; mkdir -p .d6/llama; node scripts/build.mjs bench >/dev/null; cp dist/bench-llama-speed.mjs bench/device/llama.sh .d6/llama/
    node bench/device/llama-files.mjs ${LLAMA_BINS:-linux-x64-vulkan linux-x64} | tar -chf - -T - | xz -9 -T0 > .d6/llama/llama.tar.xz
    du -sh .d6/llama; exit 0;;
llamacuda) # the same with node-llama-cpp's CUDA binaries (linux-x64-cuda, CUDA 13: libcudart/libcublas come from the
    # machine's PyTorch wheels, llama.sh GPU=cuda finds them). libggml-cuda.so is 159 MB; prune-fatbin.py keeps only the
    # compute_90 PTX the H100/H200 runs (zeros the rest in place) → ~30 MB xz'd: carry [".d6/llama"], `GPU=cuda OUT=$OUT bash .d6/llama/llama.sh`
    grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
    rm -rf .d6/llama; mkdir -p .d6/llama; node scripts/build.mjs bench >/dev/null; cp dist/bench-llama-speed.mjs bench/device/llama.sh .d6/llama/
    st=$(mktemp -d); node bench/device/llama-files.mjs linux-x64-cuda linux-x64 > "$st/list"
    tar -chf - -T "$st/list" | tar -C "$st" -xf -; so=$(find "$st/node_modules" -path '*linux-x64-cuda*' -name libggml-cuda.so)
    python3 bench/device/prune-fatbin.py "$so" "$so.pruned" && mv "$so.pruned" "$so"
    tar -C "$st" -chf - node_modules | xz -6 -T0 > .d6/llama/llama.tar.xz; rm -rf "$st"
    du -sh .d6/llama; exit 0;;
evals) # #14's evaluation timings at 7B (bench/device/evals.sh): the eval-speed bundle + one xz tarball of exactly the
    # data files the five tasks and WikiText-2 test read (bench/eval-speed.ts EVAL_DATA_FILES; HellaSwag's is hidden from
    # the device call's tree), the LLaMA-2-7B config and tokenizer (~3 MB); a later call of a lease whose machine holds
    # /tmp/devrt: carry [".d6/ev"], command `OUT=$OUT bash .d6/ev/evals.sh` (again to wait for it)
    grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
    rm -rf .d6/ev; mkdir -p .d6/ev; node scripts/build.mjs bench >/dev/null; cp dist/bench-eval-speed.mjs bench/device/evals.sh .d6/ev/
    st=$(mktemp -d); mkdir -p "$st/res" "$st/configs" "$st/tok"
    npx tsx -e "import { EVAL_DATA_FILES } from './bench/eval-speed'; console.log(EVAL_DATA_FILES.join('\\n'))" > "$st/list"
    tar -C resources -cf - -T "$st/list" | tar -C "$st/res" -xf -
    cp "$SH"/data/configs/llama-2-7b-hf.json "$st/configs/"; cp "$SH"/data/tokenizers/llama-2/* "$st/tok/"
    tar -C "$st" -cf - res configs tok | xz -9e -T0 > .d6/ev/ev.tar.xz; rm -rf "$st"
    du -sh .d6/ev; exit 0;;
rtiny) # #16's tiny-model training speed on the GPU (bench/device/rtiny.sh): tiny-llama sliced 25 % + the recover-step
    # bundle (~20 MB); a later call of a lease: carry [".d6/rtiny"], command `OUT=$OUT bash .d6/rtiny/rtiny.sh`
    grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
    rm -rf .d6/rtiny; mkdir -p .d6/rtiny; node scripts/build.mjs bench >/dev/null; cp dist/bench-recover.mjs bench/device/rtiny.sh .d6/rtiny/
    SLICE_STUDIO_DATA=$(mktemp -d) npx tsx core/transports/cli/main.ts slice "$SH/models/tiny-llama" --ratio 0.25 --dtype float32 --allow-larger --out .d6/rtiny/tiny-llama-s25 >/dev/null
    du -sh .d6/rtiny; exit 0;;
esac
grep -qx '/.d6/' "$EX" 2>/dev/null || echo '/.d6/' >> "$EX"
K=.d6/k; rm -rf "$K"; mkdir -p "$K/dist" "$K/configs" "$K/debs"
lists=$(mktemp -d); mkdir -p "$lists/partial"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
apt-get $o update -qq >/dev/null 2>&1 || true
(cd "$K/debs" && for p in libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2; do apt-get $o download "$p" >/dev/null 2>&1 || echo "could not download $p"; done)
st=$(mktemp -d); mkdir -p "$st/rt/node_modules/onnxruntime-node/bin/napi-v6/linux" "$st/wg/node_modules/webgpu/dist"
cp "$(readlink -f "$(command -v node)")" "$st/rt/node"; strip --strip-all "$st/rt/node" 2>/dev/null || true
nm=node_modules
cp -r $nm/onnxruntime-node/package.json $nm/onnxruntime-node/dist "$st/rt/node_modules/onnxruntime-node/"
cp -r $nm/onnxruntime-node/bin/napi-v6/linux/x64 "$st/rt/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r $nm/onnxruntime-common "$st/rt/node_modules/"
(cd "$st" && npm pack -q webgpu@0.6.2 >/dev/null && tar xzf webgpu-*.tgz)
cp "$st"/package/{index.js,package.json,types.d.ts} "$st/wg/node_modules/webgpu/"; cp -r "$st/package/dist/linux-x64" "$st/wg/node_modules/webgpu/dist/"
tar -C "$st/rt" -cf - . | xz -9e -T0 > "$K/rt.tar.xz"
tar -C "$st/wg" -cf - node_modules | xz -9e -T0 > "$K/webgpu.tar.xz"
rm -rf "$st" "$lists"
node scripts/build.mjs bench >/dev/null
cp dist/bench-slice.mjs dist/bench-pipeline.mjs dist/bench-gpu-eigh.mjs dist/bench-infer-speed.mjs dist/bench-wgsl-decode.mjs "$K/dist/"
cp "$SH"/data/configs/llama-2-7b-hf.json "$SH"/data/configs/llama-2-70b-hf.json "$K/configs/"; cp "$SH"/models/tiny-llama/config.json "$K/configs/tiny-llama.json"
cp "$SH"/anchors/torch_slice_time.py "$K/"; cp -r "$SH"/data/tokenizers/llama-2 "$K/tok"
cp bench/device/go.sh "$K/go.sh"
echo "kit: $(du -sh "$K" | cut -f1); tree that travels: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes (with hide: 7.8 MB less); limit 67,108,864 with the kit"
