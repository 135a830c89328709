// The layering test is only as good as its reading of imports: these pin that every form of import is
// seen and that a cycle is found and named as the loop it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../shared';
import { importCycles, importEdges, importSpecifiers } from './import-graph';

test('static, type-only, re-export, side-effect and dynamic imports are all read', () => {
  const source = [
    "import { a } from './a';",
    "import type { B } from '../b';",
    'import {\n  c,\n  type D,\n} from "./c";',
    "import * as e from './e';",
    "export { f } from './f';",
    "export * from './g';",
    "import './h';",
    "const i = await import('./i');",
    "import { readFileSync } from 'node:fs';",
    "const s = 'this text mentions import and from but is not an import';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(source), ['./a', '../b', './c', './e', './f', './g', './h', './i', 'node:fs']);
});

test('a dynamic import in core is an edge of the graph (the CLI loads the API service lazily)', () => {
  const edges = importEdges(REPO_ROOT, 'core');
  assert.ok(edges.some((e) => e.from === 'core/transports/cli/cli.ts' && e.to === 'core/api/service.ts'));
});

test('a cycle is reported once, as the loop of files in import order', () => {
  const edge = (from: string, to: string) => ({ from, to });
  const cycles = importCycles([edge('x', 'y'), edge('y', 'z'), edge('z', 'x'), edge('z', 'w'), edge('w', 'v'), edge('p', 'q'), edge('q', 'p')]);
  assert.deepEqual(cycles.map((c) => c.join(' → ')).sort(), ['p → q', 'x → y → z']);
});

test('an acyclic graph has no cycles', () => {
  assert.deepEqual(
    importCycles([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
    ]),
    [],
  );
});
