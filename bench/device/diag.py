#!/usr/bin/env python3
# go.sh step `diag` (#11): merges the variants' bench-slice reports into one JSON and prints, per variant and layer,
# the phases and the WGSL solver's device waits beside the event loop's stalls. A variant cut short by its timeout
# keeps the layers its --timings-jsonl got. Usage: diag.py OUT.json DIR VARIANT...  (DIR/diag-<v>.{json,jsonl,err,rc})
import json
import os
import sys

out, d, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
KEYS = [
    ('pca.eigh', 'eigh'),
    ('pcaOf.attention', 'p.att'),
    ('pcaOf.mlp', 'p.mlp'),
    ('pca.eigh.tridiagonalize.columns', 'cols'),
    ('pca.eigh.tridiagonalize.columns.wait', 'c.wait'),
    ('pca.eigh.tridiagonalize.columns.wait.blocked', 'c.blk'),
    ('pca.eigh.tridiagonalSolve.gemm', 'gemm'),
    ('pca.eigh.tridiagonalSolve.gemm.blocked', 'g.blk'),
    ('pca.eigh.tridiagonalSolve.secular.wait.blocked', 's.blk'),
    ('loop.pca.blocked', 'L.pca'),
    ('loop.pca.maxStall', 'L.pmax'),
    ('loop.signals.blocked', 'L.sig'),
    ('loop.rotate.blocked', 'L.rot'),
    ('weights.prepare', 'w.prep'),
    ('rotate.write', 'write'),
]


def read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return ''


merged = {}
for v in variants:
    rc = read(f'{d}/diag-{v}.rc').strip()
    text = read(f'{d}/diag-{v}.json')
    try:
        r = json.loads(text[text.index('{'):])
    except ValueError:
        lines = [json.loads(x) for x in read(f'{d}/diag-{v}.jsonl').splitlines() if x.strip()]
        r = {'partial': True, 'perLayer': lines}
    r['rc'] = rc
    r['stderrTail'] = read(f'{d}/diag-{v}.err').splitlines()[-6:]
    merged[v] = r

with open(out, 'w') as f:
    json.dump(merged, f, indent=1)

print('variant layer  load signals  pca rotate ckpt | ' + ' '.join(f'{h:>6}' for _, h in KEYS))
for v, r in merged.items():
    for t in r.get('perLayer', []):
        if t.get('layer', -1) < 0:
            continue
        det = t.get('detail', {})
        row = f"{v:>7} {t['layer']:>5} {t.get('load', 0):5.2f} {t.get('signals', 0):7.2f} {t.get('pca', 0):4.2f} {t.get('rotate', 0):6.2f} {t.get('checkpoint', 0) or 0:4.2f} | "
        print(row + ' '.join(f'{det.get(k, float("nan")):6.3f}' for k, _ in KEYS))
    print(f"{v:>7} rc={r['rc']} {'(partial)' if r.get('partial') else ''} {r.get('conditions', '')}")
