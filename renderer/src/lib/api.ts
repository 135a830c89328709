// One API client for the whole UI: the preload bridge inside Electron, HTTP + WebSocket in a browser.
import type { SliceStudioClient } from '../../../core/api/contract';
import { createHttpClient, pageToken } from './http-client';

declare global {
  interface Window {
    sliceStudio?: SliceStudioClient;
  }
}

export const isDesktop = typeof window !== 'undefined' && window.sliceStudio !== undefined;

export const api: SliceStudioClient = window.sliceStudio ?? createHttpClient(pageToken());

/** One line for the user from anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
