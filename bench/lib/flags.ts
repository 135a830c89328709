// `--name value` and bare `--flag` (= 'true') from a bench's arguments; positional words are skipped.
export function flags(args: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith('--')) continue;
    const k = args[i].slice(2);
    const v = args[i + 1] && !args[i + 1].startsWith('--') ? args[++i] : 'true';
    m.set(k, v);
  }
  return m;
}
