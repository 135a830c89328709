// `serve`: the API over HTTP + WebSocket for a browser (or any script) on this machine.
//   POST /api/<method>   body: JSON array of positional arguments → {ok:true,result} | {ok:false,error,name}
//   GET  /events         WebSocket: every ApiEvent as one JSON text message
//   GET  /*              the built renderer (renderer/dist)
// Binds 127.0.0.1 by default; every request must carry the random token (see auth.ts), else 401, and name
// this server in `Host` (and, from a browser, `Origin`) (see origin.ts), else 403. A host that is not
// loopback-only needs `allowRemote`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SliceStudioApi } from '../../api/contract';
import type { ApiEvent } from '../../api/events';
import { callApi, UnknownMethodError } from '../../api/dispatch';
import { isUserError, userMessage } from '../../base/user-error';
import { CONTENT_SECURITY_POLICY } from '../csp';
import { authorized, cookieName, newToken } from './auth';
import { allowedHosts, hostAllowed, isLoopbackAddress, originAllowed, resolvesToLoopbackOnly } from './origin';
import { resolveStatic, sendFile } from './static';

export interface EventSource {
  subscribe(listener: (e: ApiEvent) => void): () => void;
}

export interface ServeOptions {
  api: SliceStudioApi;
  events: EventSource;
  /** Default 127.0.0.1. A host that is not loopback-only exposes the API to the network over plain HTTP:
   *  refused unless `allowRemote`, and then logged as a warning. */
  host?: string;
  /** The explicit opt-in (`serve --allow-remote`) for a host other than loopback. */
  allowRemote?: boolean;
  /** 0 or absent: a free port. */
  port?: number;
  /** The built renderer; absent → the API only (the page explains how to build). */
  staticDir?: string;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  /** Where notices go (the CLI passes stderr). */
  log?: (line: string) => void;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
}

export class BodyError extends Error {
  override name = 'BodyError';
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // The token travels in the page URL: never leak it in a Referer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return [];
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError('request body is not valid JSON');
  }
}

export class ApiServer {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  #server: Server;
  #wss: WebSocketServer;
  #unsubscribe: () => void;

  private constructor(server: Server, wss: WebSocketServer, host: string, port: number, token: string, unsubscribe: () => void) {
    this.#server = server;
    this.#wss = wss;
    this.host = host;
    this.port = port;
    this.token = token;
    this.#unsubscribe = unsubscribe;
  }

  /** The URL to open, token included. */
  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}/?token=${this.token}`;
  }

  get clients(): number {
    return this.#wss.clients.size;
  }

  static async create(opts: ServeOptions): Promise<ApiServer> {
    const host = opts.host ?? '127.0.0.1';
    const token = opts.token ?? newToken();
    const log = opts.log ?? (() => {});
    const limit = opts.maxBodyBytes ?? 1 << 20;
    const staticDir = opts.staticDir && existsSync(join(opts.staticDir, 'index.html')) ? opts.staticDir : null;
    const loopback = await resolvesToLoopbackOnly(host);
    if (!loopback && !opts.allowRemote) {
      throw new ServeError(`${host} is not a loopback address: serving it exposes the API over plain HTTP; pass --allow-remote to do so anyway`);
    }
    if (!loopback) {
      log(`warning: serving on ${host} over plain HTTP: anyone who can reach this address and has the token can use the API`);
    }
    let port = 0;
    let hosts = new Set<string>();

    const server = createServer((req, res) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const isApi = url.pathname.startsWith('/api/');
      if (!hostAllowed(req.headers.host, hosts) || !originAllowed(req.headers.origin, hosts)) {
        json(res, 403, { ok: false, error: 'this server answers only to its own address (Host/Origin not allowed)', name: 'Forbidden' });
        return;
      }
      if (!authorized(req, url, port, token, { query: !isApi, cookie: !isApi })) {
        json(res, 401, { ok: false, error: 'missing or wrong token: open the URL that `serve` printed', name: 'Unauthorized' });
        return;
      }
      if (isApi) {
        void handleApi(req, res, url.pathname.slice('/api/'.length));
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        json(res, 405, { ok: false, error: `${req.method} not allowed here`, name: 'MethodNotAllowed' });
        return;
      }
      if (!staticDir) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The renderer is not built: run `npm run build`, then start serve again. The API is available under /api/.\n');
        return;
      }
      const file = resolveStatic(staticDir, url.pathname);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
        return;
      }
      if (url.searchParams.has('token')) {
        // Let the page's own asset requests (which carry no query string) through.
        res.setHeader('set-cookie', `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`);
      }
      sendFile(res, file, req.method === 'HEAD');
    });

    const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
      if (req.method !== 'POST') {
        json(res, 405, { ok: false, error: 'API methods are called with POST', name: 'MethodNotAllowed' });
        return;
      }
      let name: string;
      try {
        name = decodeURIComponent(method);
      } catch {
        // A bad %-escape is the caller's mistake, not a bug: 400, and nothing in the log.
        json(res, 400, { ok: false, error: 'the API method name is not valid percent-encoding', name: 'BadRequest' });
        return;
      }
      try {
        const payload = await readBody(req, limit);
        const result = await callApi(opts.api, name, payload);
        json(res, 200, { ok: true, result: result ?? null });
      } catch (e) {
        const { message, errorName } = userMessage(e);
        if (e instanceof UnknownMethodError) json(res, 404, { ok: false, error: message, name: errorName });
        else if (isUserError(e)) json(res, 400, { ok: false, error: message, name: errorName });
        else {
          log(`internal error in ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          json(res, 500, { ok: false, error: message, name: errorName });
        }
      }
    };

    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!hostAllowed(req.headers.host, hosts) || !originAllowed(req.headers.origin, hosts)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (url.pathname !== '/events' || !authorized(req, url, port, token, { query: true, cookie: false })) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    wss.on('connection', (ws: WebSocket) => {
      // Events flow one way; clients call methods over HTTP. A ping keeps idle proxies from closing it.
      const ping = setInterval(() => ws.ping(), 30_000);
      ws.on('close', () => clearInterval(ping));
      ws.on('error', () => ws.terminate());
    });
    const unsubscribe = opts.events.subscribe((event) => {
      const text = JSON.stringify(event);
      for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
    });

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      unsubscribe();
      throw new ServeError(e.code === 'EADDRINUSE' ? `port ${opts.port} is already in use` : `cannot listen on ${host}:${opts.port ?? 0}: ${e.message}`);
    });
    const bound = server.address() as AddressInfo;
    port = bound.port;
    hosts = allowedHosts(host, port);
    if (loopback && !isLoopbackAddress(bound.address)) {
      // The name resolved to loopback a moment ago but bound elsewhere: never serve that silently.
      unsubscribe();
      server.close();
      throw new ServeError(`${host} bound ${bound.address}, which is not loopback; pass --allow-remote to serve it`);
    }
    return new ApiServer(server, wss, host, port, token, unsubscribe);
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export class ServeError extends Error {
  override name = 'ServeError';
}
