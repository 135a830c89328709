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

  const connect = () => {
    const url = new URL('/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.onopen = () => (retry = 500);
    socket.onmessage = (m) => {
      const event = JSON.parse(String(m.data)) as ApiEvent;
      for (const l of listeners) l(event);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
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
    if (!socket) connect();
    return () => {
      listeners.delete(listener);
      if (!listeners.size) socket?.close();
    };
  };
  return client as unknown as SliceStudioClient;
}
