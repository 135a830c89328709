// Serves the built renderer (renderer/dist) with a single-page fallback to index.html.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { ServerResponse } from 'node:http';

/** Content types of the renderer's built files (also served by the Electron shell's app:// protocol). */
export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** The file to send for a URL path, or null. Never escapes `root` (`..` and encoded variants are refused). */
export function resolveStatic(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const file = resolve(base, '.' + normalize('/' + decoded));
  if (file !== base && !file.startsWith(base + sep)) return null;
  if (existsSync(file) && statSync(file).isFile()) return file;
  // Client-side routes (no extension) get the app shell; missing assets get a 404.
  if (!extname(decoded)) {
    const index = join(base, 'index.html');
    return existsSync(index) ? index : null;
  }
  return null;
}

export function sendFile(res: ServerResponse, file: string, head: boolean): void {
  const type = MIME_TYPES[extname(file)] ?? 'application/octet-stream';
  res.setHeader('content-type', type);
  res.setHeader('content-length', statSync(file).size);
  // Hashed assets can be cached; the shell must not be, so a rebuilt UI shows up on reload.
  res.setHeader('cache-control', file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-store');
  if (head) {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
