import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import { callApi } from '../../core/api/dispatch';
import { withOverrides } from '../../electron/desktop-api';

test('the desktop API swaps in the folder picker and keeps every other method working', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-desktop-'));
  const service = await SliceStudioService.create({ storeFile: join(dir, 'store.db') });
  try {
    await assert.rejects(service.chooseModelPath(), { name: 'NotAvailableError' });
    const api = withOverrides(service, { chooseModelPath: async (kind) => `/picked/${kind}` });
    assert.equal(await callApi(api, 'chooseModelPath', ['config']), '/picked/config');
    // #private fields still work through the proxy.
    assert.deepEqual(await callApi(api, 'listRuns', []), []);
    assert.equal(((await callApi(api, 'getAppInfo', [])) as { jobKinds: string[] }).jobKinds.includes('fingerprint'), true);
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
