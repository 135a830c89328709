// The packaged app's Electron fuses (electron-builder 26 flips them from electron-builder.yml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

test('the packaged binary has RunAsNode, NODE_OPTIONS and --inspect off, cookie encryption and asar integrity on', () => {
  // The `electronFuses:` block of the YAML: two-space-indented `key: true|false` lines.
  const yml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
  const block = /^electronFuses:\n((?:  \w+: (?:true|false)\n?)+)/m.exec(yml)?.[1] ?? '';
  const fuses = Object.fromEntries([...block.matchAll(/^  (\w+): (true|false)$/gm)].map((m) => [m[1], m[2] === 'true']));
  assert.deepEqual(fuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
});

test('the main process loads the UI from app://, never file://, and installs the utility-process probe', () => {
  const main = readFileSync(join(root, 'electron/main.ts'), 'utf8');
  assert.ok(!main.includes('pathToFileURL'), 'no file:// page');
  assert.match(main, /protocol\.registerSchemesAsPrivileged\(\[APP_SCHEME_PRIVILEGES\]\)/);
  assert.match(main, /protocol\.handle\(APP_SCHEME/);
  assert.match(main, /setProbeLauncher\(utilityProbeLauncher/);
});

test('package.json pins an Electron 45 release; the Node engine stays what the CLI, serve and tests need', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
  assert.match(pkg.devDependencies.electron, /^45\.\d+\.\d+$/);
  assert.equal(pkg.engines.node, '>=20.19');
  // Electron's download tooling (@electron/get) wants Node >= 22.12: said in the README, where it applies.
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /Node(\.js)? ≥ 22\.12/);
});
