import type { Command } from '../command';
import type { Catalog } from '../../../api/catalog';

/** One section per table, one line per row. */
function formatCatalog(c: Catalog): string {
  const pct = (n: number) => n.toLocaleString('en-US');
  return [
    'Model families',
    ...c.families.map((f) => `  ${f.id.padEnd(12)} ${f.gguf ? `GGUF as ${f.gguf}` : 'no GGUF export'}`),
    'Zero-shot tasks (--tasks)',
    ...c.tasks.map((t) => `  ${t.name.padEnd(14)} ${t.label.padEnd(11)} ${t.title}, ${pct(t.size)} items, reports ${t.primaryMetric}`),
    'Export formats (--format, --dtype)',
    ...c.exportFormats.map((f) => `  ${f.id.padEnd(12)} ${f.dtypes.join(', ').padEnd(20)} ${f.runtimes}`),
    'Datasets (--cal, --dataset; also hub:<id>[:<config>]:<split> or a .txt/.jsonl/.json file)',
    ...c.datasets.map((d) => `  ${d.id.padEnd(12)} splits ${d.splits.join(', ').padEnd(20)} ${d.description}`),
  ].join('\n');
}

export const catalogCommand: Command = {
  name: 'catalog',
  usage: 'catalog [--json]',
  summary: 'Model families, zero-shot tasks, export formats and datasets this build supports',
  async run(ctx) {
    const c = await (await ctx.service()).catalog();
    ctx.out(ctx.json ? JSON.stringify(c, null, 2) : formatCatalog(c));
    return 0;
  },
};
