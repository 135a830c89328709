import { formatHardware } from '../../../hardware/format';
import type { Command } from '../command';

export const hardware: Command = {
  name: 'hardware',
  usage: 'hardware [--json]',
  summary: 'GPUs, CPU, RAM, disk and which onnxruntime execution provider will be used, and why',
  async run(ctx) {
    const report = await (await ctx.service()).getHardware(true);
    ctx.out(ctx.json ? JSON.stringify(report, null, 2) : formatHardware(report));
    return 0;
  },
};
