import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { API_METHOD_NAMES } from '../../core/api/contract';
import { apiChannel, EVENT_CHANNEL } from '../../core/transports/ipc-channels';
import { buildBridge, type IpcRendererLike } from '../../electron/bridge';
import { APP_URL } from '../../electron/app-protocol';
import { CONTENT_SECURITY_POLICY, guardWebContents, isAllowedNavigation, isTrustedSender, windowOptions, withCsp } from '../../electron/security';

const appUrl = APP_URL;

test('the window is isolated, sandboxed and has no Node integration', () => {
  const w = windowOptions('/x/preload.cjs').webPreferences!;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.webviewTag, false);
  assert.equal(w.preload, '/x/preload.cjs');
});

test('the CSP allows only the app itself: no inline script, no eval, no remote origins', () => {
  const d = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((x) => [x.split(' ')[0], x.split(' ').slice(1)]));
  assert.deepEqual(d['default-src'], ["'self'"]);
  assert.deepEqual(d['script-src'], ["'self'"]);
  assert.deepEqual(d['object-src'], ["'none'"]);
  assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe'));
  assert.ok(!/https?:/.test(CONTENT_SECURITY_POLICY));
  const h = withCsp({ 'content-security-policy': ['default-src *'], 'x-other': 'a' });
  assert.deepEqual(h, { 'x-other': ['a'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
});

test('navigation is allowed only within the app page', () => {
  assert.ok(isAllowedNavigation(appUrl, appUrl));
  assert.ok(isAllowedNavigation(`${appUrl}#runs`, appUrl));
  for (const url of ['https://example.com/', 'file:///etc/passwd', `${appUrl}?x=1`, 'javascript:alert(1)', 'not a url']) {
    assert.equal(isAllowedNavigation(url, appUrl), false, url);
  }
  assert.ok(isTrustedSender({ senderFrame: { url: appUrl } }, appUrl));
  assert.equal(isTrustedSender({ senderFrame: { url: 'https://evil.example/' } }, appUrl), false);
  assert.equal(isTrustedSender({ senderFrame: null }, appUrl), false);
});

test('the guard blocks navigation, webviews and new windows (https links go to the system browser)', () => {
  const handlers = new Map<string, (event: { preventDefault(): void; url?: string }, url: string) => void>();
  let openHandler: ((d: { url: string }) => { action: string }) | undefined;
  const contents = {
    on(name: string, h: (event: { preventDefault(): void }, url: string) => void) {
      handlers.set(name, h);
      return contents;
    },
    setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
      openHandler = h;
    },
  };
  const opened: string[] = [];
  guardWebContents(contents as never, appUrl, (u) => opened.push(u));
  const prevented = (name: string, url: string) => {
    let p = false;
    handlers.get(name)!({ preventDefault: () => (p = true) }, url);
    return p;
  };
  assert.equal(prevented('will-navigate', 'https://evil.example/'), true);
  assert.equal(prevented('will-redirect', 'http://127.0.0.1:1/'), true);
  assert.equal(prevented('will-navigate', `${appUrl}#runs`), false);
  assert.equal(prevented('will-attach-webview', appUrl), true);
  // will-frame-navigate: one details object carrying the URL, for the main frame and every subframe
  const frame = (url: string) => {
    let p = false;
    handlers.get('will-frame-navigate')!({ url, preventDefault: () => (p = true) }, '');
    return p;
  };
  assert.equal(frame('https://evil.example/'), true);
  assert.equal(frame('file:///etc/passwd'), true);
  assert.equal(frame(`${appUrl}#runs`), false);
  assert.deepEqual(openHandler!({ url: 'https://arxiv.org/abs/2401.15024' }), { action: 'deny' });
  assert.deepEqual(openHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
  // Only allow-listed documentation hosts reach the system browser
  for (const url of ['https://evil.example/', 'https://arxiv.org.evil.example/', 'http://arxiv.org/', 'https://user:pw@github.com/', 'https://github.com:8443/', 'smb://host/share']) {
    assert.deepEqual(openHandler!({ url }), { action: 'deny' });
  }
  openHandler!({ url: 'https://huggingface.co/docs' });
  assert.deepEqual(opened, ['https://arxiv.org/abs/2401.15024', 'https://huggingface.co/docs']);
});

test("the preload bridge exposes exactly the contract's methods plus onEvent, each on its own channel", async () => {
  const invoked: unknown[][] = [];
  const listeners = new Map<string, (e: unknown, ...a: unknown[]) => void>();
  const ipc: IpcRendererLike = {
    async invoke(channel, ...args) {
      invoked.push([channel, ...args]);
      return channel.endsWith('getRun') ? { ok: false, error: 'no run with id 4', name: 'RunNotFoundError' } : { ok: true, result: 'r' };
    },
    on: (c, l) => listeners.set(c, l),
    removeListener: (c) => listeners.delete(c),
  };
  const bridge = buildBridge(ipc);
  assert.deepEqual(Object.keys(bridge).sort(), [...API_METHOD_NAMES, 'onEvent'].sort());
  assert.ok(Object.isFrozen(bridge));
  assert.equal(await bridge.inspectModel('/m'), 'r');
  assert.deepEqual(invoked, [[apiChannel('inspectModel'), '/m']]);
  await assert.rejects(bridge.getRun(4), { name: 'ApiCallError', message: 'no run with id 4' });
  const seen: unknown[] = [];
  const off = bridge.onEvent((e) => seen.push(e));
  listeners.get(EVENT_CHANNEL)!({ sender: 'not for the page' }, { channel: 'state', type: 'runs-changed' });
  assert.deepEqual(seen, [{ channel: 'state', type: 'runs-changed' }]);
  off();
  assert.equal(listeners.size, 0);
});

test('the bundled preload requires nothing but electron (a sandboxed preload can load no other file)', async () => {
  const root = join(import.meta.dirname, '../..');
  const out = await build({
    entryPoints: [join(root, 'electron/preload.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'cjs',
    external: ['electron'],
    logLevel: 'error',
  });
  const code = out.outputFiles[0].text;
  const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required)], ['electron']);
  assert.match(readFileSync(join(root, 'electron/preload.ts'), 'utf8'), /exposeInMainWorld\(BRIDGE_NAME, buildBridge\(ipcRenderer\)\)/);
});
