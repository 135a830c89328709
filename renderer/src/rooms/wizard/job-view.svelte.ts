// The live view of one job (a slice or an evaluation) as the wizard shows it: status, phase, layer,
// fraction, ETA, and the small data payloads progress events carry (explained variance per signal,
// task metrics). Events are routed here by job id; the few that can arrive before startJob's reply
// (a fast worker) are kept in a short backlog and replayed when the job is attached. A view is of one job
// kind, so its result has that kind's type (the job table, core/jobs/kinds/index.ts).
import { isDoneOf, type ApiEvent, type JobEvent, type JobKind, type JobResult } from '../../../../core/api/contract';
import { api, errorText } from '../../lib/api';

export type JobStatus = 'idle' | 'starting' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface VariancePoint {
  layer: number | null;
  signal: string;
  value: number;
}

export class JobView<K extends JobKind> {
  readonly kind: K;
  jobId: string | null = $state(null);
  runId: number | null = $state(null);
  status: JobStatus = $state('idle');
  phase = $state('');
  layer: number | null = $state(null);
  layers: number | null = $state(null);
  fraction: number | null = $state(null);
  etaSeconds: number | null = $state(null);
  message = $state('');
  error: string | null = $state(null);
  result: JobResult<K> | null = $state(null);
  seconds: number | null = $state(null);
  /** Explained variance per signal, in arrival order (slices). */
  variance: VariancePoint[] = $state([]);
  /** Data payloads of progress events (evaluations: per-task results). */
  data: Record<string, unknown>[] = $state([]);
  logs: string[] = $state([]);
  /** Every phase reported so far, in order of first appearance (a job with stages, e.g. perplexity then tasks, knows where it is). */
  phases: string[] = $state([]);
  /** Bumped on every event, for views that refetch the run as it goes. */
  tick = $state(0);

  constructor(kind: K) {
    this.kind = kind;
  }

  /** Forget everything: a new job is about to start. */
  reset(): void {
    this.jobId = null;
    this.runId = null;
    this.status = 'idle';
    this.phase = '';
    this.layer = this.layers = this.fraction = this.etaSeconds = this.seconds = null;
    this.message = '';
    this.error = null;
    this.result = null;
    this.variance = [];
    this.data = [];
    this.logs = [];
    this.phases = [];
  }

  /** A job was started (or resumed) with these ids: follow it. Keeps the chart of a resumed run. */
  attach(ids: { jobId: string; runId: number }): void {
    this.jobId = ids.jobId;
    this.runId = ids.runId;
    this.status = 'running';
    this.error = null;
    this.result = null;
    this.etaSeconds = null;
    views.add(this);
    for (const e of backlog.filter((b) => b.jobId === ids.jobId)) this.apply(e);
  }

  apply(e: JobEvent): void {
    this.tick++;
    switch (e.type) {
      case 'queued':
        // Waiting for the device (another heavy job runs): cancellable, no progress yet.
        if (this.status !== 'running') this.status = 'queued';
        break;
      case 'started':
        this.status = 'running';
        break;
      case 'progress': {
        this.status = 'running';
        this.phase = e.phase;
        if (!this.phases.includes(e.phase)) this.phases = [...this.phases, e.phase];
        this.layer = e.layer ?? null;
        this.layers = e.layers ?? this.layers;
        if (e.fraction !== undefined) this.fraction = e.fraction;
        this.etaSeconds = e.etaSeconds ?? null;
        this.message = e.message ?? '';
        if (e.data) {
          this.data.push(e.data);
          const ev = e.data['explainedVariance'];
          if (typeof ev === 'number') {
            const layer = e.layer ?? null;
            // Events name the signal except for the embeddings and a layer's second PCA (after its MLP;
            // 'block' in a parallel-block model, which has one PCA per layer).
            const hasAttention = this.variance.some((p) => p.layer === layer && p.signal === 'attention');
            const named = typeof e.data['signal'] === 'string' ? (e.data['signal'] as string) : null;
            const signal = named ?? (layer === null ? 'embedding' : hasAttention ? 'mlp' : 'block');
            // A resumed run may report a layer again: the newest value wins.
            this.variance = [...this.variance.filter((p) => !(p.layer === layer && p.signal === signal)), { layer, signal, value: ev }];
          }
        }
        break;
      }
      case 'log':
        this.logs = [...this.logs.slice(-49), e.message];
        break;
      case 'done':
        this.status = 'done';
        this.fraction = 1;
        this.etaSeconds = null;
        this.result = isDoneOf(e, this.kind) ? e.result : null;
        this.seconds = e.seconds;
        views.delete(this);
        break;
      case 'failed':
        this.status = 'failed';
        this.error = e.message;
        this.seconds = e.seconds;
        views.delete(this);
        break;
      case 'cancelled':
        this.status = 'cancelled';
        this.etaSeconds = null;
        this.seconds = e.seconds;
        views.delete(this);
        break;
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId && (this.status === 'running' || this.status === 'queued')) await api.cancelJob(this.jobId);
  }

  /** Starts a job in this view ('starting' until its ids come); a refusal leaves the view idle and returns its line. */
  async launch(begin: () => Promise<{ jobId: string; runId: number }>): Promise<string | null> {
    this.reset();
    this.status = 'starting';
    try {
      this.attach(await begin());
      return null;
    } catch (e) {
      this.status = 'idle';
      return errorText(e);
    }
  }

  /** Cancels; returns the line to show when the cancel itself failed. */
  async cancelOrError(): Promise<string | null> {
    try {
      await this.cancel();
      return null;
    } catch (e) {
      return errorText(e);
    }
  }
}

const views = new Set<JobView<JobKind>>();
const backlog: JobEvent[] = [];

api.onEvent((e: ApiEvent) => {
  if (e.channel !== 'job') return;
  const { channel: _channel, ...event } = e;
  const job = event as JobEvent;
  let routed = false;
  for (const v of views) {
    if (v.jobId === job.jobId) {
      v.apply(job);
      routed = true;
    }
  }
  if (!routed) {
    backlog.push(job);
    if (backlog.length > 500) backlog.splice(0, backlog.length - 500);
  }
});
