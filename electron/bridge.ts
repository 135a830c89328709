// What the preload exposes to the page as `window.sliceStudio`: exactly the contract's methods (each an
// ipcRenderer.invoke on its own channel) plus one event subscription. Built from API_METHOD_NAMES, so
// the bridge cannot drift from the contract; pure, so it is unit-tested without Electron.
import { API_METHOD_NAMES, type ApiEvent, type SliceStudioClient } from '../core/api/contract';
import { apiChannel, EVENT_CHANNEL, type IpcReply } from '../core/transports/ipc-channels';

export const BRIDGE_NAME = 'sliceStudio';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export class ApiCallError extends Error {
  override name = 'ApiCallError';
}

export function buildBridge(ipc: IpcRendererLike): SliceStudioClient {
  const bridge: Record<string, unknown> = {};
  for (const method of API_METHOD_NAMES) {
    bridge[method] = async (...args: unknown[]) => {
      const reply = (await ipc.invoke(apiChannel(method), ...args)) as IpcReply;
      if (reply.ok) return reply.result;
      throw new ApiCallError(reply.error);
    };
  }
  bridge.onEvent = (listener: (event: ApiEvent) => void) => {
    // Never hand the IpcRendererEvent (which exposes `sender`) to the page: only the payload.
    const wrapped = (_event: unknown, payload: unknown) => listener(payload as ApiEvent);
    ipc.on(EVENT_CHANNEL, wrapped);
    return () => void ipc.removeListener(EVENT_CHANNEL, wrapped);
  };
  return Object.freeze(bridge) as unknown as SliceStudioClient;
}
