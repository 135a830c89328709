// The UI is served to the window from `app://slice-studio/…`, not file://: a file:// page shares its origin
// with every local file, so one injected script could read any of them; a privileged custom scheme gives
// the page an origin of its own and lets main answer only for files inside renderer/dist.
// Type-only Electron imports: this file is unit-tested in plain Node.
import type { CustomScheme } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { MIME_TYPES, resolveStatic } from '../core/transports/serve/static';
import { CONTENT_SECURITY_POLICY } from '../core/transports/csp';

export const APP_SCHEME = 'app';
export const APP_HOST = 'slice-studio';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Registered before `ready`: standard (real origin, relative URLs), secure (like https), fetch allowed. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false },
};

/** The file inside `distDir` an app:// request names, or null (another host, `..`, a missing asset). */
export function resolveAppFile(distDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  return resolveStatic(distDir, url.pathname);
}

/** The protocol.handle callback: the file with its type and the CSP, or a 404. */
export async function appResponse(distDir: string, request: { url: string }): Promise<Response> {
  const file = resolveAppFile(distDir, request.url);
  if (!file) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  return new Response(await readFile(file), {
    headers: {
      'content-type': MIME_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    },
  });
}
