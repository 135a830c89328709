// The rooms of core/ stand on floors: a room may import rooms on the floors below its own, never a room on
// its floor or above. This table is the layering's one source of truth (docs/ARCHITECTURE.md draws it);
// a new room gets a row here, and an import that breaks the order fails with the file and the import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared';
import { importCycles, importEdges } from './import-graph';

/** Bottom first (floor 1 = base). Rooms on one floor are peers: they may not import each other. */
const FLOORS: readonly (readonly string[])[] = [
  ['base'], // job context + cancellation, user errors, validation primitives, app paths, folder hash
  ['files', 'hardware', 'onnx'],
  ['model'],
  ['data', 'plan'],
  ['runtime'],
  ['linalg', 'store'],
  ['slicegpt'],
  ['eval', 'export', 'recover'],
  ['synth'],
  ['jobs'],
  ['api'],
  ['demo'],
  ['transports'],
];

const floorOf = new Map(FLOORS.flatMap((rooms, floor) => rooms.map((room) => [room, floor] as const)));
/** `core/<room>/…` → room; a file directly in core/ belongs to no room. */
const roomOf = (file: string): string | null => /^core\/([^/]+)\//.exec(file)?.[1] ?? null;

const edges = importEdges(REPO_ROOT, 'core');

test('every folder in core/ is a room on one of the floors, and no file sits in core/ itself', () => {
  const entries = readdirSync(join(REPO_ROOT, 'core'));
  const folders = entries.filter((n) => statSync(join(REPO_ROOT, 'core', n)).isDirectory());
  assert.deepEqual(
    folders.filter((f) => !floorOf.has(f)),
    [],
    'rooms missing from FLOORS',
  );
  assert.deepEqual(
    entries.filter((n) => !folders.includes(n)),
    [],
    'files directly in core/ (give each a room)',
  );
  assert.deepEqual(
    [...floorOf.keys()].filter((r) => !folders.includes(r)),
    [],
    'FLOORS names rooms that do not exist',
  );
});

test('no room imports a room on its own floor or above it', () => {
  assert.ok(edges.length > 500, `read ${edges.length} imports in core/`);
  const upward = edges.flatMap((e) => {
    const from = roomOf(e.from);
    const to = e.to === null ? null : roomOf(e.to);
    if (from === null || to === null || from === to) return [];
    const a = floorOf.get(from);
    const b = floorOf.get(to);
    if (a === undefined || b === undefined || b < a) return [];
    return [`${e.from} imports '${e.spec}': ${from} (floor ${a + 1}) may not import ${to} (floor ${b + 1})`];
  });
  assert.deepEqual(upward, []);
});

test('no import cycle between files of core/', () => {
  const cycles = importCycles(edges.filter((e) => e.to?.startsWith('core/')));
  assert.deepEqual(
    cycles.map((c) => [...c, c[0]].join(' → ')),
    [],
  );
});

test('core imports nothing from bench/, test/, electron/, renderer/ or the electron package', () => {
  const outside = edges.filter((e) => (e.spec.startsWith('.') ? !e.to?.startsWith('core/') : e.spec === 'electron' || e.spec.startsWith('electron/'))).map((e) => `${e.from} imports '${e.spec}'`);
  assert.deepEqual(outside, []);
});
