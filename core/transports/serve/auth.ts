// The local server's access token: random per server, required on every request. API calls carry it in
// an `x-slice-studio-token` / `Authorization: Bearer` header only: a cross-site form or text/plain POST
// cannot set a header without a CORS preflight, which this server never grants. The page and its event
// socket may carry it as `?token=` (the printed URL; a browser WebSocket cannot set headers), and page
// assets as a SameSite=Strict cookie set when the page was opened with the token, because a browser
// fetches the page's scripts without the query string.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_HEADER = 'x-slice-studio-token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function cookieName(port: number): string {
  // Cookies ignore ports; one name per port keeps two servers on one machine from clobbering each other.
  return `slice_studio_${port}`;
}

function same(a: string | undefined | null, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined; // a malformed cookie is no token, not a crash
    }
  }
  return undefined;
}

export interface TokenSources {
  /** `?token=`: the page and the event socket, never the API. */
  query: boolean;
  /** The page's cookie: static assets only. */
  cookie: boolean;
}

/** Token from the headers, and from the query string or cookie where `from` allows. */
export function presentedToken(req: IncomingMessage, url: URL, port: number, from: TokenSources): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const header = req.headers[TOKEN_HEADER];
  return (typeof header === 'string' ? header : undefined) ?? bearer ?? (from.query ? (url.searchParams.get('token') ?? undefined) : undefined) ?? (from.cookie ? cookie(req, cookieName(port)) : undefined);
}

export function authorized(req: IncomingMessage, url: URL, port: number, token: string, from: TokenSources): boolean {
  return same(presentedToken(req, url, port, from), token);
}
