// A real service on a fresh store, one per test file: the setup the API and job tests share.
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';

/**
 * A service whose store (store.db) and data folder are a temp folder named `prefix…`, created in a `before`
 * hook (no provider probing) and closed and removed in an `after` hook; read `dir` and `service` in tests.
 */
export function serviceForFile(prefix: string): { readonly dir: string; readonly service: SliceStudioService } {
  let dir = '';
  let service: SliceStudioService | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { dataDir: dir, probeProviders: false } });
  });
  after(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get service() {
      if (!service) throw new Error('serviceForFile: the service is made in a before hook; read it inside a test');
      return service;
    },
  };
}
