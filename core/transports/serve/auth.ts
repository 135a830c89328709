// The local server's access token: random per server, required on every request. It arrives as
// `?token=` (the printed URL), an `x-slice-studio-token` / `Authorization: Bearer` header (API calls), or
// — for page assets only — a SameSite=Strict cookie set when the page itself was opened with the token,
// because a browser fetches the page's scripts without the query string.
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
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Token from the query string or headers; cookies only when `allowCookie` (static assets, never the API). */
export function presentedToken(req: IncomingMessage, url: URL, port: number, allowCookie: boolean): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const header = req.headers[TOKEN_HEADER];
  return (
    url.searchParams.get('token') ??
    (typeof header === 'string' ? header : undefined) ??
    bearer ??
    (allowCookie ? cookie(req, cookieName(port)) : undefined)
  );
}

export function authorized(req: IncomingMessage, url: URL, port: number, token: string, allowCookie: boolean): boolean {
  return same(presentedToken(req, url, port, allowCookie), token);
}
