# python3 bench/device/ort-profile.py TRACE_DIR OUT.json — sums the ORT traces SLICE_STUDIO_ORT_PROFILE leaves
# (core/runtime/ort-profile.ts: one file per session, named <tag>_<time>.json; tag = pass-<block> or helper-<graph>).
# GPU programs ("Api" events with a cache_key: the WebGPU EP's timestamp queries) by program name, and host node times
# ("Node" *_kernel_time events) by op type and EP, each: count, total ms, share; per session tag the same totals;
# "model_run" totals per tag (the host's wall time of each run). Prints the top rows.
import json, os, re, sys
src, out = sys.argv[1], sys.argv[2]
gpu, node, tags = {}, {}, {}
def add(d, k, ms):
    r = d.setdefault(k, {'count': 0, 'ms': 0.0}); r['count'] += 1; r['ms'] += ms
files = sorted(f for f in os.listdir(src) if f.endswith('.json'))
for f in files:
    tag = re.sub(r'_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(_\d+)?\.json$', '', f)
    try: events = json.load(open(os.path.join(src, f)))
    except Exception as e: print(f'{f}: unreadable ({e})'); continue
    t = tags.setdefault(tag, {'gpuMs': 0.0, 'nodeMs': 0.0, 'runMs': 0.0, 'runs': 0})
    for e in events:
        ms = e.get('dur', 0) / 1000.0; a = e.get('args') or {}
        if e.get('cat') == 'Api' and 'cache_key' in a:
            add(gpu, e.get('name', '?'), ms); t['gpuMs'] += ms
        elif e.get('cat') == 'Node' and str(e.get('name', '')).endswith('_kernel_time'):
            add(node, f"{a.get('op_name', '?')} ({a.get('provider', '?')})", ms); t['nodeMs'] += ms
        elif e.get('cat') == 'Session' and e.get('name') == 'model_run':
            t['runMs'] += ms; t['runs'] += 1
def table(d):
    tot = sum(r['ms'] for r in d.values()) or 1.0
    return [{'name': k, 'count': r['count'], 'ms': round(r['ms'], 3), 'share': round(r['ms'] / tot, 4)} for k, r in sorted(d.items(), key=lambda kv: -kv[1]['ms'])]
res = {'traces': len(files), 'gpuMsTotal': round(sum(r['ms'] for r in gpu.values()), 3), 'nodeMsTotal': round(sum(r['ms'] for r in node.values()), 3),
       'gpuPrograms': table(gpu), 'nodeOps': table(node),
       'bySession': {k: {kk: round(vv, 3) if isinstance(vv, float) else vv for kk, vv in v.items()} for k, v in sorted(tags.items(), key=lambda kv: -(kv[1]['gpuMs'] or kv[1]['nodeMs']))}}
if not gpu: res['note'] = 'no GPU program events: the EP is not WebGPU, or its adapter has no timestamp queries'
json.dump(res, open(out, 'w'), indent=1)
print(f"{len(files)} traces; GPU programs {res['gpuMsTotal']} ms, host node time {res['nodeMsTotal']} ms")
for r in (res['gpuPrograms'] or res['nodeOps'])[:15]: print(f"  {r['ms']:10.1f} ms {r['share']*100:5.1f} %  x{r['count']:<6} {r['name']}")
