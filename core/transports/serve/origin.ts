// Which names the local server answers to. A token alone does not stop DNS rebinding: a page on
// evil.example that re-resolves to 127.0.0.1 is same-origin with itself, so the browser lets it read our
// answers once it has the token. Checking `Host` (and a WebSocket's `Origin`, which the browser sets and
// scripts cannot) limits the server to the names it was started on.
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x: addresses only this machine can reach. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  return a === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(a);
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** True when every address `host` names is loopback: decided by resolving it, not by how the name looks. */
export async function resolvesToLoopbackOnly(host: string): Promise<boolean> {
  if (isWildcard(host)) return false;
  if (isIP(host)) return isLoopbackAddress(host);
  try {
    const all = await lookup(host, { all: true });
    return all.length > 0 && all.every((a) => isLoopbackAddress(a.address));
  } catch {
    // Unresolvable: listen() will say so; treat it as remote so nothing binds without --allow-remote.
    return false;
  }
}

function withPort(name: string, port: number): string {
  const n = name.toLowerCase();
  return `${isIP(n) === 6 ? `[${n}]` : n}:${port}`;
}

/** The `host:port` values a request's Host header may carry. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '::1', host];
  if (isWildcard(host)) {
    // Bound to every interface (--allow-remote): the machine's own addresses and name are its names.
    names.push(hostname());
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.push(i.address.replace(/%.*$/, ''));
  }
  return new Set(names.map((n) => withPort(n, port)));
}

export function hostAllowed(hostHeader: string | undefined, allowed: Set<string>): boolean {
  return hostHeader !== undefined && allowed.has(hostHeader.toLowerCase());
}

/** A browser's Origin must be this server's own (http://<allowed host>); absent (scripts, curl) is fine. */
export function originAllowed(origin: string | undefined, allowed: Set<string>): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && allowed.has(url.host.toLowerCase()) && origin.toLowerCase() === `http://${url.host.toLowerCase()}`;
}
