// Dawn's only Linux backend is Vulkan: without a loader the WGSL device is not even tried (Dawn would print a
// native two-line warning); the check reads LD_LIBRARY_PATH and the dynamic linker's cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vulkanLoaderFound } from '../../core/hardware/vulkan-loader';

test('a Vulkan loader is found through LD_LIBRARY_PATH, the linker cache or its default directories, and missing when neither has it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-'));
  const none = join(dir, 'ld.so.cache');
  writeFileSync(none, 'libc.so.6\0libm.so.6\0');
  assert.equal(vulkanLoaderFound('linux', {}, none, []), false);
  assert.equal(vulkanLoaderFound('linux', {}, join(dir, 'missing-cache'), []), false);
  const cache = join(dir, 'ld.so.cache.vk');
  writeFileSync(cache, 'libc.so.6\0libvulkan.so.1\0');
  assert.equal(vulkanLoaderFound('linux', {}, cache, []), true);
  writeFileSync(join(dir, 'libvulkan.so.1'), '');
  assert.equal(vulkanLoaderFound('linux', {}, none, [dir]), true);
  assert.equal(vulkanLoaderFound('linux', { LD_LIBRARY_PATH: `/nowhere:${dir}` }, none, []), true);
});

test('other systems are not checked: Dawn uses D3D12 or Metal there', () => {
  assert.equal(vulkanLoaderFound('win32', {}, '/nonexistent'), true);
  assert.equal(vulkanLoaderFound('darwin', {}, '/nonexistent'), true);
});
