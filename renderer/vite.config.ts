// Builds the Svelte renderer into renderer/dist, loaded by the Electron window (file://, hence relative
// asset URLs) and served by `slice-studio serve`. The CSP meta tag comes from the one shared policy.
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY_META } from '../core/transports/csp.ts';

const here = dirname(fileURLToPath(import.meta.url));

function cspMeta(): Plugin {
  return {
    name: 'slice-studio-csp',
    apply: 'build', // the dev server injects inline scripts for hot reload; the build has none
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY_META }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte(), cspMeta()],
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'chrome120',
    chunkSizeWarningLimit: 1024,
  },
  server: { fs: { allow: [resolve(here, '..')] } },
});
