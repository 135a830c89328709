// The renderer's Content-Security-Policy, one string for every way the UI is delivered: the Electron
// window (meta tag + response header) and `serve` (response header). No inline scripts or styles, no
// eval, no remote origins: the UI talks to its own origin (HTTP/WebSocket) or to the preload bridge.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  // 'self' covers same-origin ws: in Chromium, which is the only engine the UI runs in.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The same policy for a <meta> tag, where frame-ancestors is not allowed (browsers warn and ignore it). */
export const CONTENT_SECURITY_POLICY_META = CONTENT_SECURITY_POLICY.split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');
