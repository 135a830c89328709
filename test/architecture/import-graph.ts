// The file graph of core/: every relative import of every .ts file, read from the text (static `import`,
// `export … from`, side-effect `import '…'` and dynamic `import('…')`), resolved the way the bundler
// resolves them (`x` → x.ts or x/index.ts). Type-only imports count: a room that needs another's types
// depends on it as much as one that calls it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the repository root, forward slashes. */
  from: string;
  /** The specifier as written. */
  spec: string;
  /** The file it resolves to (repository-relative); null for a package (a bare specifier) or a path that does not exist. */
  to: string | null;
}

const IMPORT = /(?:^|[^\w.$])(?:import|export)\s+(?:type\s+)?(?:[\w$*{][^'"`;]*?\s+from\s+)?['"]([^'"\n]+)['"]|(?:^|[^\w.$])import\(\s*['"]([^'"\n]+)['"]\s*\)/gm;

/** The specifiers a source text imports, in order of appearance. */
export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const slashed = (p: string): string => p.split(sep).join('/');

function resolveSpec(root: string, fromAbs: string, spec: string): string | null {
  const base = resolve(dirname(fromAbs), spec.replace(/\.(ts|js|mjs)$/, ''));
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return slashed(relative(root, candidate));
  }
  // A relative path that is not a .ts file (a .svelte component, a .mjs script) still says where it points.
  return existsSync(base) ? slashed(relative(root, base)) : null;
}

/** Every import of every .ts file under `dir`; packages (bare specifiers, `node:…`) have no `to`. */
export function importEdges(root: string, dir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const abs of sourceFiles(join(root, dir))) {
    const from = slashed(relative(root, abs));
    for (const spec of importSpecifiers(readFileSync(abs, 'utf8'))) {
      edges.push({ from, spec, to: spec.startsWith('.') ? resolveSpec(root, abs, spec) : null });
    }
  }
  return edges;
}

/** The import cycles of a file graph: its strongly connected components of more than one file (Tarjan), each in a path order. */
export function importCycles(edges: readonly { from: string; to: string | null }[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.to === null) continue;
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from)!.push(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  // Iterative, so a long import chain cannot overflow the call stack.
  for (const start of next.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const targets = next.get(top.node) ?? [];
      if (top.i < targets.length) {
        const w = targets[top.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1].node, Math.min(low.get(work[work.length - 1].node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== top.node);
        if (component.length > 1) cycles.push(orderAsPath(component, next));
      }
    }
  }
  return cycles;
}

/** A component's files in an order where each imports the next (and the last the first), so the message reads as the loop. */
function orderAsPath(component: string[], next: Map<string, string[]>): string[] {
  const members = new Set(component);
  const first = [...component].sort()[0];
  // Shortest way back to `first` through the component: breadth-first from it.
  const cameFrom = new Map<string, string>();
  const queue = [first];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === first) {
        const path = [v];
        while (path[0] !== first) path.unshift(cameFrom.get(path[0])!);
        return path;
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}
