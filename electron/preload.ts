// Sandboxed preload: exposes the contract's methods and an event subscription, nothing else.
// Bundled to dist/electron/preload.cjs (a sandboxed preload cannot load other files).
import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge, BRIDGE_NAME } from './bridge';

contextBridge.exposeInMainWorld(BRIDGE_NAME, buildBridge(ipcRenderer));
