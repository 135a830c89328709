import type { Command } from '../command';
import { jobCommand } from './shared/job-command';

export const fingerprint: Command = jobCommand('fingerprint', {
  summary: 'sha256 of every file in a model folder, run as a job (progress, Ctrl+C cancels)',
  report: (r) => [`${r.digest}  (${r.files.length} files, ${r.bytes} bytes)`, ...r.files.map((x) => `${x.sha256}  ${x.name}`)].join('\n'),
});
