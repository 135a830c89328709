// The desktop window's security settings, kept apart from main.ts so they are unit-tested in plain Node
// (only type imports from electron here: a value import would try to load the Electron binary).
import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../core/transports/csp';

export { CONTENT_SECURITY_POLICY };

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'Slice Studio',
    show: false,
    backgroundColor: '#f7f7f5',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
    },
  };
}

/** Only the app's own page may be shown: same file, any hash (client-side tabs), no query tricks. */
export function isAllowedNavigation(target: string, appUrl: string): boolean {
  try {
    const t = new URL(target);
    const a = new URL(appUrl);
    return t.protocol === a.protocol && t.host === a.host && t.pathname === a.pathname && t.search === '';
  } catch {
    return false;
  }
}

/** The documentation and paper hosts a link may open in the system browser; nothing else leaves the app. */
export const EXTERNAL_HOSTS: readonly string[] = ['arxiv.org', 'github.com', 'huggingface.co', 'onnxruntime.ai', 'www.electronjs.org'];

/** Links the user may open in their browser: https, no credentials, an allow-listed host. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '' && u.port === '' && EXTERNAL_HOSTS.includes(u.hostname);
  } catch {
    return false;
  }
}

export function isTrustedSender(event: { senderFrame?: { url: string } | null }, appUrl: string): boolean {
  const url = event.senderFrame?.url;
  return typeof url === 'string' && isAllowedNavigation(url, appUrl);
}

type Guarded = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Denies navigation away from the app — of the window and of any frame in it (`will-frame-navigate`) —,
 * every new window (allow-listed documentation links go to the system browser instead), and <webview>.
 */
export function guardWebContents(contents: Guarded, appUrl: string, openExternal: (url: string) => void): void {
  const block = (event: { preventDefault(): void }, url: string) => {
    if (!isAllowedNavigation(url, appUrl)) event.preventDefault();
  };
  contents.on('will-navigate', block);
  contents.on('will-redirect', block);
  contents.on('will-frame-navigate', (details) => {
    if (!isAllowedNavigation(details.url, appUrl)) details.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Response headers with the CSP added (for any response the window loads besides app://, which sets its own). */
export function withCsp(headers: Record<string, string[] | string> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() !== 'content-security-policy') out[k] = Array.isArray(v) ? v : [v];
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}
