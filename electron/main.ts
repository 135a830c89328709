// Electron main process: one window, hardened (see security.ts), wired to the core through the IPC
// transport. All logic lives in core/; this file only connects Electron's objects to it.
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron';
import { join } from 'node:path';
import { SliceStudioService } from '../core/api/service';
import { setProbeLauncher } from '../core/hardware/provider-probe';
import { forwardEvents, registerIpcHandlers } from '../core/transports/ipc';
import { guardWebContents, isTrustedSender, windowOptions, withCsp } from './security';
import { withOverrides } from './desktop-api';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL, appResponse } from './app-protocol';
import { utilityProbeLauncher } from './probe-launcher';

// Resources (demo model, datasets) live in the app bundle, not next to this script.
process.env.SLICE_STUDIO_RESOURCES ??= app.isPackaged ? join(process.resourcesPath, 'resources') : join(app.getAppPath(), 'resources');

const appUrl = APP_URL;
const rendererDist = join(app.getAppPath(), 'renderer', 'dist');

// Before `ready`, as Electron requires: the scheme the UI is served from (see app-protocol.ts).
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
// The RunAsNode fuse is off, so the hardware probe's child is a utility process, not Electron-as-node.
setProbeLauncher(utilityProbeLauncher((modulePath, args, options) => utilityProcess.fork(modulePath, args, options)));

app.enableSandbox();
app.on('web-contents-created', (_event, contents) => guardWebContents(contents, appUrl, (url) => void shell.openExternal(url)));

async function start(): Promise<void> {
  protocol.handle(APP_SCHEME, (request) => appResponse(rendererDist, request));
  const service = await SliceStudioService.create();
  const api = withOverrides(service, {
    async chooseModelPath(kind) {
      const window = BrowserWindow.getFocusedWindow();
      const options: Electron.OpenDialogOptions =
        kind === 'config' ? { title: 'Open a config.json', properties: ['openFile'], filters: [{ name: 'config.json', extensions: ['json'] }] } : { title: 'Open a model folder', properties: ['openDirectory'] };
      const picked = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return picked.canceled ? null : (picked.filePaths[0] ?? null);
    },
  });
  registerIpcHandlers(ipcMain, api, {
    isTrustedSender: (event) => isTrustedSender(event, appUrl),
    log: (line) => console.error(line),
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCsp(details.responseHeaders) }));

  const window = new BrowserWindow(windowOptions(join(__dirname, 'preload.cjs')));
  const stopEvents = forwardEvents(service.events, window.webContents);
  window.once('ready-to-show', () => window.show());
  window.on('closed', stopEvents);
  await window.loadURL(appUrl);

  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    // Let running jobs record their cancellation before the process exits.
    event.preventDefault();
    closing = true;
    void service.close().finally(() => app.quit());
  });
}

app.on('window-all-closed', () => app.quit());
app
  .whenReady()
  .then(start)
  .catch((e: unknown) => {
    dialog.showErrorBox('Slice Studio could not start', e instanceof Error ? e.message : String(e));
    app.exit(1);
  });
