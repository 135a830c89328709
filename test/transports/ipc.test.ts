import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import { API_METHOD_NAMES } from '../../core/api/contract';
import { forwardEvents, registerIpcHandlers, type IpcMainLike, type IpcInvokeEventLike } from '../../core/transports/ipc';
import { apiChannel, EVENT_CHANNEL, type IpcReply } from '../../core/transports/ipc-channels';
import { sharedModel } from '../shared';

// The transport boundary: a plain object with Electron's ipcMain.handle/removeHandler shape.
class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcReply> | IpcReply>();
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcReply> | IpcReply) {
    assert.ok(!this.handlers.has(channel), `second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  invoke(method: string, args: unknown[], url = 'file:///app/renderer/dist/index.html') {
    return this.handlers.get(apiChannel(method))!({ senderFrame: { url } }, ...args);
  }
}

const model = sharedModel('tiny-llama');
let dir: string;
let service: SliceStudioService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-ipc-'));
  service = await SliceStudioService.create({ storeFile: join(dir, 'store.db') });
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

test('one handler per contract method; calls are validated and answered in an envelope', async () => {
  const ipc = new FakeIpcMain();
  const unregister = registerIpcHandlers(ipc, service);
  assert.deepEqual([...ipc.handlers.keys()].sort(), API_METHOD_NAMES.map(apiChannel).sort());
  const ok = await ipc.invoke('inspectModel', [model]);
  assert.equal(ok.ok, true);
  assert.equal((ok as { result: { parameterCount: number } }).result.parameterCount, 5_048_576);
  assert.deepEqual(await ipc.invoke('inspectModel', [{ path: model }]), {
    ok: false,
    error: 'inspectModel: "path" must be a non-empty string (got an object)',
    name: 'PayloadError',
  });
  assert.deepEqual(await ipc.invoke('deleteRun', [12]), { ok: false, error: 'no run with id 12', name: 'RunNotFoundError' });
  const picker = await ipc.invoke('chooseModelPath', ['folder']);
  assert.equal(picker.ok, false);
  unregister();
  assert.equal(ipc.handlers.size, 0);
});

test('calls from frames that are not the app are refused when a sender check is given', async () => {
  const ipc = new FakeIpcMain();
  registerIpcHandlers(ipc, service, { isTrustedSender: (e) => e.senderFrame?.url.startsWith('file:///app/') === true });
  assert.equal((await ipc.invoke('getAppInfo', [])).ok, true);
  assert.deepEqual(await ipc.invoke('getAppInfo', [], 'https://evil.example/'), {
    ok: false,
    error: 'refused getAppInfo from https://evil.example/',
    name: 'UntrustedSenderError',
  });
});

test('events are forwarded to the window until it is destroyed', async () => {
  const sent: [string, unknown][] = [];
  let destroyed = false;
  const stop = forwardEvents(service.events, { send: (c, e) => sent.push([c, e]), isDestroyed: () => destroyed });
  await service.inspectModel(model);
  assert.deepEqual(sent, [[EVENT_CHANNEL, { channel: 'state', type: 'models-changed' }]]);
  destroyed = true;
  await service.inspectModel(model);
  await service.inspectModel(model);
  assert.equal(sent.length, 1);
  stop();
});
