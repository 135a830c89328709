import { join } from 'node:path';
import { appRoot } from '../../../base/app-root';
import { ApiServer } from '../../serve/server';
import { openUrl } from '../../serve/open-url';
import { intFlag, stringFlag } from '../args';
import type { Command } from '../command';

export const serve: Command = {
  name: 'serve',
  usage: 'serve [--port N] [--host H [--allow-remote]] [--open] [--json]',
  summary: 'Serve the app and its API on http://127.0.0.1 (token-protected); Ctrl+C stops',
  flags: { values: ['port', 'host'], booleans: ['allow-remote', 'open'] },
  async run(ctx) {
    const service = await ctx.service();
    const server = await ApiServer.create({
      api: service,
      events: service.events,
      port: intFlag(ctx.args, 'port', 0, 65535) ?? 0,
      host: stringFlag(ctx.args, 'host'),
      allowRemote: ctx.args.flags.has('allow-remote'),
      staticDir: join(appRoot(), 'renderer', 'dist'),
      log: (line) => ctx.err(line),
    });
    if (ctx.json) ctx.out(JSON.stringify({ url: server.url, host: server.host, port: server.port, token: server.token }));
    else {
      const opened = ctx.args.flags.has('open') && (await openUrl(server.url));
      ctx.out(`Slice Studio is serving at ${server.url}\n` + (opened ? 'Opened it in your default browser. Ctrl+C stops.' : 'Open that URL in a browser (the token is required). Ctrl+C stops.'));
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};
