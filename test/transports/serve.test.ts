import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { SliceStudioService } from '../../core/api/service';
import { ApiServer } from '../../core/transports/serve/server';
import type { ApiEvent } from '../../core/api/events';
import { sharedModel } from '../shared';

const model = sharedModel('tiny-llama');
let dir: string;
let service: SliceStudioService;
let server: ApiServer;
const logs: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-serve-'));
  const ui = join(dir, 'ui');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  service = await SliceStudioService.create({ storeFile: join(dir, 'store.db') });
  server = await ApiServer.create({ api: service, events: service.events, staticDir: ui, log: (l) => logs.push(l) });
});

after(async () => {
  await server.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = () => `http://127.0.0.1:${server.port}`;

function call(method: string, args: unknown, token: string | null = server.token, body?: string) {
  return fetch(`${base()}/api/${method}`, {
    method: 'POST',
    headers: token ? { 'x-slice-studio-token': token } : {},
    body: body ?? JSON.stringify(args),
  });
}

/** GET with a raw path (fetch would normalize `..` away). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('binds to loopback on a free port and prints a URL with the token', () => {
  assert.equal(server.host, '127.0.0.1');
  assert.ok(server.port > 0);
  assert.ok(server.token.length >= 32);
  assert.equal(server.url, `http://127.0.0.1:${server.port}/?token=${server.token}`);
  assert.deepEqual(logs, []);
});

test('every request without the right token gets 401: page, assets, API', async () => {
  for (const path of ['/', '/assets/app.js', '/?token=wrong']) assert.equal((await rawGet(path)).status, 401, path);
  assert.equal((await call('getAppInfo', [], null)).status, 401);
  assert.equal((await call('getAppInfo', [], 'wrong')).status, 401);
  // The page cookie is for assets only: the API never accepts it (no cross-site request can ride on it).
  const page = await rawGet(`/?token=${server.token}`);
  const cookie = String((page.headers['set-cookie'] as string[])[0]).split(';')[0];
  assert.equal((await fetch(`${base()}/api/getAppInfo`, { method: 'POST', headers: { cookie }, body: '[]' })).status, 401);
});

test('the page with the token sets an asset cookie; assets load with it; paths cannot escape the UI folder', async () => {
  const page = await rawGet(`/?token=${server.token}`);
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>t<\/title>/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  const cookie = String((page.headers['set-cookie'] as string[])[0]).split(';')[0];
  const asset = await rawGet('/assets/app.js', { cookie });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/missing.js']) {
    const r = await rawGet(path, { cookie });
    assert.equal(r.status, 404, path);
    assert.ok(!r.body.includes('not for the web'));
  }
});

test('API methods are called with POST and a JSON array of arguments', async () => {
  const res = await call('inspectModel', [model]);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { ok: boolean; result: { parameterCount: number; family: string } };
  assert.equal(body.ok, true);
  assert.equal(body.result.parameterCount, 5_048_576);
  const recent = (await (await call('recentModels', [])).json()) as { result: { path: string }[] };
  assert.deepEqual(
    recent.result.map((m) => m.path),
    [model],
  );
  // The same call with a header bearer token
  const bearer = await fetch(`${base()}/api/listRuns`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } });
  assert.deepEqual(await bearer.json(), { ok: true, result: [] });
});

test('malformed calls get a clear one-line error and the right status', async () => {
  const expect = async (res: Response, status: number, error: RegExp) => {
    assert.equal(res.status, status);
    const body = (await res.json()) as { ok: boolean; error: string };
    assert.equal(body.ok, false);
    assert.match(body.error, error);
    assert.ok(!body.error.includes('\n'));
  };
  await expect(await call('inspectModel', [7]), 400, /^inspectModel: "path" must be a non-empty string/);
  await expect(await call('inspectModel', ['/no/such/folder']), 400, /^\/no\/such\/folder is not a model folder or config\.json Slice Studio can open$/);
  await expect(await call('getRun', [999]), 400, /^no run with id 999$/);
  await expect(await call('nope', []), 404, /unknown API method "nope"/);
  await expect(await call('getAppInfo', null, server.token, '{not json'), 400, /not valid JSON/);
  const get = await fetch(`${base()}/api/getAppInfo`, { headers: { 'x-slice-studio-token': server.token } });
  await expect(get, 405, /POST/);
});

test('a missing path, a folder that is not a model and an unreadable path get byte-identical API errors (no existence oracle)', async () => {
  const missing = join(dir, 'no-such-model');
  const plain = join(dir, 'not-a-model');
  mkdirSync(plain);
  writeFileSync(join(plain, 'notes.txt'), 'x');
  // Unreadable two ways: below a regular file (ENOTDIR, for any user) and a folder with mode 000 (EACCES, for non-root).
  const belowFile = join(dir, 'secret.txt', 'model');
  const locked = join(dir, 'locked-model');
  mkdirSync(locked);
  writeFileSync(join(locked, 'config.json'), '{}');
  chmodSync(locked, 0o000);
  try {
    const paths = [missing, plain, belowFile, ...(process.getuid?.() === 0 ? [] : [locked])];
    for (const [method, args] of [
      ['inspectModel', (p: string) => [p]],
      ['startJob', (p: string) => [{ kind: 'slice', params: { model: p, ratio: 0.25 } }]],
    ] as const) {
      const answers = new Set<string>();
      for (const p of paths) {
        const res = await call(method, args(p));
        // The path is the user's own input, echoed back; everything else must be the same bytes.
        answers.add(`${res.status} ${(await res.text()).split(JSON.stringify(p).slice(1, -1)).join('<path>')}`);
      }
      assert.equal(answers.size, 1, `${method}: ${[...answers].join(' | ')}`);
      assert.match([...answers][0], /^400 .*"<path> is not a model folder or config\.json Slice Studio can open"/);
    }
  } finally {
    chmodSync(locked, 0o755);
  }
});

test('inspect errors never echo the contents of the file they could not parse', async () => {
  const folder = join(dir, 'leak');
  mkdirSync(folder);
  writeFileSync(join(folder, 'config.json'), 'root:x:0:0:SECRET-LINE');
  writeFileSync(join(folder, 'model.safetensors'), Buffer.alloc(16));
  const res = await call('inspectModel', [folder]);
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: string };
  assert.match(body.error, /not valid JSON/);
  assert.ok(!/root|SECRET/.test(body.error), body.error);
});

test('job events reach WebSocket clients; a socket without the token is refused', async () => {
  await assert.rejects(
    new Promise((resolve, reject) => {
      const bad = new WebSocket(`ws://127.0.0.1:${server.port}/events`);
      bad.on('open', resolve);
      bad.on('error', reject);
    }),
    /401/,
  );
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`);
  await new Promise((r) => ws.once('open', r));
  const events: ApiEvent[] = [];
  const done = new Promise<void>((resolve) =>
    ws.on('message', (m) => {
      const e = JSON.parse(String(m)) as ApiEvent;
      events.push(e);
      if (e.channel === 'job' && e.type === 'done') resolve();
    }),
  );
  const res = (await (await call('startJob', [{ kind: 'fingerprint', params: { path: model } }])).json()) as {
    result: { jobId: string; runId: number };
  };
  await done;
  ws.close();
  const jobEvents = events.filter((e) => e.channel === 'job');
  assert.deepEqual([...new Set(jobEvents.map((e) => e.type))], ['queued', 'started', 'progress', 'log', 'done']);
  for (const e of jobEvents) assert.equal(e.channel === 'job' && e.jobId, res.result.jobId);
  assert.ok(events.some((e) => e.channel === 'state' && e.type === 'runs-changed' && e.runId === res.result.runId));
  const run = (await (await call('getRun', [res.result.runId])).json()) as { result: { status: string } };
  assert.equal(run.result.status, 'done');
});

test('a non-loopback host is refused in one line unless allowRemote, then served with a warning', async () => {
  for (const host of ['0.0.0.0', '::']) {
    await assert.rejects(ApiServer.create({ api: service, events: service.events, host }), (e: Error) => e.name === 'ServeError' && /not a loopback address.*--allow-remote/.test(e.message) && !e.message.includes('\n'));
  }
  const lines: string[] = [];
  const open = await ApiServer.create({ api: service, events: service.events, host: '0.0.0.0', allowRemote: true, log: (l) => lines.push(l) });
  await open.close();
  assert.match(lines[0], /^warning: serving on 0\.0\.0\.0 over plain HTTP/);
});

test('loopback names (localhost, ::1, 127.x) serve without a warning and without allowRemote', async () => {
  for (const host of ['localhost', '127.0.0.2']) {
    const lines: string[] = [];
    const s = await ApiServer.create({ api: service, events: service.events, host, log: (l) => lines.push(l) });
    await s.close();
    assert.deepEqual(lines, [], host);
  }
});

test('a malformed percent-encoding in the method name is a 400 with one line, nothing in the log', async () => {
  const before = logs.length;
  const res = await call('%E0%A4%A', []);
  assert.equal(res.status, 400);
  const body = (await res.json()) as { ok: boolean; error: string };
  assert.equal(body.ok, false);
  assert.match(body.error, /percent-encoding/);
  assert.ok(!body.error.includes('\n'));
  assert.equal(logs.length, before);
  // A malformed cookie is no token, not a crash
  assert.equal((await rawGet('/', { cookie: `slice_studio_${server.port}=%E0%A4%A` })).status, 401);
});

test('the API takes the token in a header only: a ?token= text/plain POST runs nothing', async () => {
  const res = await fetch(`${base()}/api/listRuns?token=${server.token}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '[]' });
  assert.equal(res.status, 401);
  const ok = await call('listRuns', []);
  assert.equal(ok.status, 200);
});

test('a foreign Host (DNS rebinding) or a cross-site Origin is refused with 403, own names are accepted', async () => {
  const auth = { 'x-slice-studio-token': server.token };
  const post = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/listRuns', method: 'POST', headers: { ...auth, ...headers } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('[]');
    });
  assert.equal(await post({ host: `evil.example:${server.port}` }), 403);
  assert.equal(await post({ host: `127.0.0.1:${server.port + 1}` }), 403);
  assert.equal((await rawGet(`/?token=${server.token}`, { host: `rebind.example:${server.port}` })).status, 403);
  assert.equal(await post({ origin: 'http://evil.example' }), 403);
  assert.equal(await post({ origin: `http://evil.example:${server.port}` }), 403);
  for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, `LOCALHOST:${server.port}`]) {
    assert.equal(await post({ host }), 200, host);
  }
  assert.equal(await post({ origin: `http://localhost:${server.port}` }), 200);
});

test('the event socket refuses a foreign Origin or Host, accepts its own origin', async () => {
  const open = (headers: Record<string, string>) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`, { headers });
      ws.on('open', () => {
        ws.close();
        resolve();
      });
      ws.on('error', reject);
    });
  await assert.rejects(open({ origin: 'http://evil.example' }), /403/);
  await assert.rejects(open({ host: `evil.example:${server.port}` }), /403/);
  await open({ origin: `http://127.0.0.1:${server.port}` });
});
