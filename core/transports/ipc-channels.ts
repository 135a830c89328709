// Channel names shared by the Electron main process (ipc.ts) and the preload bridge. Pure constants: the
// sandboxed preload bundles this file, so it must not import Node modules.
export const API_CHANNEL_PREFIX = 'slice-studio:api:';
export const EVENT_CHANNEL = 'slice-studio:event';

export const apiChannel = (method: string): string => `${API_CHANNEL_PREFIX}${method}`;

/**
 * What an IPC call resolves to. Electron would wrap a thrown error as "Error invoking remote method …";
 * an envelope lets the preload rethrow the one clean line the user should see.
 */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: string; name: string };
