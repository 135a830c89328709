// The window's UI is served from app://slice-studio/, confined to renderer/dist (electron/app-protocol.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_SCHEME_PRIVILEGES, APP_URL, appResponse, resolveAppFile } from '../../electron/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../core/transports/csp';

const dir = mkdtempSync(join(tmpdir(), 'ss-app-proto-'));
const dist = join(dir, 'dist');
mkdirSync(join(dist, 'assets'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
writeFileSync(join(dist, 'assets', 'a.js'), 'console.log(1)');
writeFileSync(join(dir, 'secret.txt'), 'outside the UI');
after(() => rmSync(dir, { recursive: true, force: true }));

test('the app page is app://slice-studio/index.html, a privileged standard, secure scheme', () => {
  assert.equal(APP_URL, 'app://slice-studio/index.html');
  assert.equal(APP_SCHEME_PRIVILEGES.scheme, 'app');
  assert.equal(APP_SCHEME_PRIVILEGES.privileges?.standard, true);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges?.secure, true);
});

test('app:// requests resolve only to files inside the renderer dist', () => {
  assert.equal(resolveAppFile(dist, APP_URL), join(dist, 'index.html'));
  assert.equal(resolveAppFile(dist, 'app://slice-studio/assets/a.js'), join(dist, 'assets', 'a.js'));
  assert.equal(resolveAppFile(dist, 'app://slice-studio/runs'), join(dist, 'index.html')); // client-side route
  for (const url of ['app://slice-studio/../secret.txt', 'app://slice-studio/%2e%2e/secret.txt', 'app://slice-studio/assets/..%2f..%2fsecret.txt', 'app://other/index.html', 'file:///etc/passwd', 'app://slice-studio/missing.js', 'nonsense']) {
    assert.equal(resolveAppFile(dist, url), null, url);
  }
});

test('responses carry the type and the CSP; anything else is a 404', async () => {
  const ok = await appResponse(dist, { url: 'app://slice-studio/assets/a.js' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(ok.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(await ok.text(), 'console.log(1)');
  const no = await appResponse(dist, { url: 'app://slice-studio/%2e%2e/secret.txt' });
  assert.equal(no.status, 404);
  assert.ok(!(await no.text()).includes('outside'));
});
