// The API over `slice-studio serve`: methods are POST /api/<name> with the token from the page URL,
// events arrive over the /events WebSocket (reconnecting, since the server may restart).
import { API_METHOD_NAMES, type ApiEvent, type SliceStudioClient } from '../../../core/api/contract';

export class ApiError extends Error {
  override name = 'ApiError';
}

export function pageToken(): string | null {
  return new URLSearchParams(location.search).get('token');
}

export function createHttpClient(token: string | null): SliceStudioClient {
  const listeners = new Set<(e: ApiEvent) => void>();
  let socket: WebSocket | null = null;
  let retry = 500;
  let connectedBefore = false;
  const emit = (e: ApiEvent) => {
    for (const l of listeners) l(e);
  };

  // One socket for the page's lifetime, opened on the first subscription. It is never closed when the
  // listener count drops to zero: views unmount and mount on every tab switch, and a socket closing
  // under a new subscriber would lose the events in between.
  const connect = () => {
    const url = new URL('/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.onopen = () => {
      retry = 500;
      // Events sent while we were disconnected are gone: tell every view to refetch.
      if (connectedBefore) {
        for (const type of ['runs-changed', 'models-changed', 'jobs-changed', 'hardware-changed'] as const) {
          emit({ channel: 'state', type });
        }
      }
      connectedBefore = true;
    };
    socket.onmessage = (m) => emit(JSON.parse(String(m.data)) as ApiEvent);
    socket.onclose = () => {
      socket = null;
      setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  };

  const client: Record<string, unknown> = {};
  for (const method of API_METHOD_NAMES) {
    client[method] = async (...args: unknown[]) => {
      // Trailing undefined (left-out optional arguments) would serialize as null: drop them.
      while (args.length && args[args.length - 1] === undefined) args.pop();
      let res: Response;
      try {
        res = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { 'x-slice-studio-token': token } : {}) },
          body: JSON.stringify(args),
        });
      } catch {
        throw new ApiError('the Slice Studio server is not reachable (was `serve` stopped?)');
      }
      const body = (await res.json().catch(() => null)) as { ok: boolean; result?: unknown; error?: string } | null;
      if (!body) throw new ApiError(`unexpected reply from the server (HTTP ${res.status})`);
      if (!body.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`);
      return body.result;
    };
  }
  client.onEvent = (listener: (e: ApiEvent) => void) => {
    listeners.add(listener);
    if (!socket && !connectedBefore) connect();
    return () => void listeners.delete(listener);
  };
  return client as unknown as SliceStudioClient;
}
