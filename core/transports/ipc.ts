// The Electron IPC transport, written against ipcMain-like / webContents-like shapes so it is plain Node
// (tests drive it with a small object that has `handle`; electron/main.ts passes the real ipcMain).
// One channel per contract method; every payload goes through the contract's validators before the API.
import type { SliceStudioApi } from '../api/contract';
import { API_METHOD_NAMES } from '../api/contract';
import type { ApiEvent } from '../api/events';
import { callApi } from '../api/dispatch';
import { isUserError, userMessage } from '../base/user-error';
import { apiChannel, EVENT_CHANNEL, type IpcReply } from './ipc-channels';

export interface IpcInvokeEventLike {
  senderFrame?: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcReply> | IpcReply): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export class UntrustedSenderError extends Error {
  override name = 'UntrustedSenderError';
}

export interface IpcOptions {
  /** Reject calls from frames that are not the app's own page (e.g. if navigation were ever bypassed). */
  isTrustedSender?: (event: IpcInvokeEventLike) => boolean;
  /** Bugs (not user errors) are reported here with their stack. */
  log?: (line: string) => void;
}

/** Registers one handler per contract method; returns a function that removes them all. */
export function registerIpcHandlers(ipcMain: IpcMainLike, api: SliceStudioApi, opts: IpcOptions = {}): () => void {
  for (const method of API_METHOD_NAMES) {
    ipcMain.handle(apiChannel(method), async (event, ...args): Promise<IpcReply> => {
      try {
        if (opts.isTrustedSender && !opts.isTrustedSender(event)) {
          throw new UntrustedSenderError(`refused ${method} from ${event.senderFrame?.url ?? 'an unknown frame'}`);
        }
        return { ok: true, result: (await callApi(api, method, args)) ?? null };
      } catch (e) {
        if (!isUserError(e)) opts.log?.(`internal error in ${method}: ${e instanceof Error ? e.stack : String(e)}`);
        const { message, errorName } = userMessage(e);
        return { ok: false, error: message, name: errorName };
      }
    });
  }
  return () => {
    for (const method of API_METHOD_NAMES) ipcMain.removeHandler(apiChannel(method));
  };
}

/** Pushes every API event to a window until it closes; returns the unsubscribe function. */
export function forwardEvents(events: { subscribe(l: (e: ApiEvent) => void): () => void }, contents: WebContentsLike): () => void {
  const unsubscribe = events.subscribe((event) => {
    if (contents.isDestroyed()) {
      unsubscribe();
      return;
    }
    contents.send(EVENT_CHANNEL, event);
  });
  return unsubscribe;
}
