#!/bin/bash
# bench/device/evals.sh, copied to .d6/ev/evals.sh by `bash bench/device/kit.sh evals`: #14's evaluation timings at
# 7B on the GPU — WikiText-2 perplexity and the five zero-shot tasks through the app's functions (bench/eval-speed.ts)
# on a random-weight LLaMA-2-7B (synthesized here, timing-only), each timed and extrapolated to its whole set when
# limited. Needs the runtime a go.sh call of the same lease unpacked (/tmp/devrt, and the Vulkan loader go.sh
# installs): carry [".d6/ev"] on the warm machine, command `OUT=$OUT bash .d6/ev/evals.sh`.
# The bench runs in the background (setsid: it outlives the call while the machine stays warm) and this script waits
# EV_WAIT s (default 540) for it; a later call of the same command waits again (it never starts a second run while
# one is going, nor reruns a finished one unless EV_RERUN=1). /tmp/ev.json is rewritten after every phase (and every
# 20 s with the running phase's progress); each call copies it to $OUT/eval-speed.json.
#   EV_LIMIT=128 (items per task; "all" for the whole sets)   EV_PPLW=128 (perplexity windows of 256 tokens; "all")
#   EV_TASKS=piqa,winogrande,hellaswag,arc_easy,arc_challenge   EV_LAYERS (synthesize only the first N layers)
#   EV_DTYPE=f16   EV_CONFIG (default the kit's llama-2-7b-hf.json)   EV_ARGS (more bench flags)
#   EV_MODEL=DIR (a model folder instead of the synthesized 7B)   EV_EP=webgpu   EV_TOK (tokenizer, default the kit's LLaMA-2)
#   DEVRT (default /tmp/devrt)   EV_DATA (where the data unpacks, default /tmp/evdata)   EV_WORK (synth folder, /tmp/evwork)
#   EV_STATE=/tmp/ev (the run's pid, json, err and out files: EV_STATE.pid …)
cd "$(dirname "$0")/../.."; E=.d6/ev; RT=${DEVRT:-/tmp/devrt}; D=${EV_DATA:-/tmp/evdata}; W=${EV_WORK:-/tmp/evwork}; S=${EV_STATE:-/tmp/ev}
[ -x $RT/node ] || { echo "no $RT/node: run a go.sh step in this lease first (STEPS=none is enough)"; exit 3; }
# The task files, WikiText-2 test, the LLaMA-2 config and tokenizer: unpacked once per machine.
[ -f $D/.complete ] || { rm -rf $D && mkdir -p $D && tar -C $D -xJf $E/ev.tar.xz && touch $D/.complete; } || { echo "could not unpack $E/ev.tar.xz"; exit 4; }
# The bundle resolves its external packages (onnxruntime-node) from the runtime's node_modules.
cp $E/bench-eval-speed.mjs $RT/
export PATH=$RT:$PATH VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
opt() { [ "$2" = all ] || echo "$1 $2"; }
running() { [ -f $S.pid ] && kill -0 $(cat $S.pid) 2>/dev/null; }
if running; then echo "eval-speed already running (pid $(cat $S.pid)): waiting again"
elif [ -f $S.pid ] && [ "${EV_RERUN:-0}" != 1 ]; then echo "eval-speed finished in an earlier call (EV_RERUN=1 starts another)"
else
  [ -f $S.json ] && mv $S.json $S-$(date +%s).json
  LABEL=${EV_LABEL:-"$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1), $(nproc) CPU cores"}
  if [ -n "${EV_MODEL-}" ]; then M="--model $EV_MODEL"; else M="--config ${EV_CONFIG:-$D/configs/llama-2-7b-hf.json} --tokenizer ${EV_TOK:-$D/tok} --work $W"; fi
  setsid nohup node $RT/bench-eval-speed.mjs $M --data $D/res \
    --ep ${EV_EP:-webgpu} --dtype ${EV_DTYPE:-f16} $(opt --limit ${EV_LIMIT:-128}) $(opt --ppl-windows ${EV_PPLW:-128}) --tasks ${EV_TASKS:-piqa,winogrande,hellaswag,arc_easy,arc_challenge} \
    ${EV_LAYERS:+--layers $EV_LAYERS} --label "$LABEL" ${EV_ARGS-} --json $S.json > $S.out 2> $S.err < /dev/null & echo $! > $S.pid
  echo "eval-speed started (pid $(cat $S.pid))"
fi
w=0; while running && [ $w -lt ${EV_WAIT:-540} ]; do sleep 5; w=$((w+5)); done
running && echo "eval-speed still running after ${w}s (a later call waits again)" || echo "eval-speed finished"
cp $S.json $OUT/eval-speed.json 2>/dev/null; grep -v onnxruntime $S.err | tail -c 200000 > $OUT/eval-speed.err
grep -v onnxruntime $S.err | tail -8
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))
p=r.get('ppl'); print('ppl', p and {k: p[k] for k in ('windows','corpusWindows','wallSeconds','tokensPerSecond','fullSeconds','extrapolated')})
for n,t in r.get('tasks',{}).items(): print(n, {k: t[k] for k in ('items','itemsFull','wallSeconds','itemsPerSecond','tokens','fullSeconds','extrapolated')})
print('running', r.get('running')); print('errors', r.get('errors')); print('totals', r.get('totals'))" $S.json 2>/dev/null
