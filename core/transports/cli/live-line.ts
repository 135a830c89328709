// The CLI's progress display: one status line on stderr, rewritten in place on a terminal, sparse plain lines
// when piped (a log file, CI), with the time left from the job's estimate or, failing that, its pace so far.
import type { JobEvent } from '../../jobs/events';
import type { CliContext } from './command';

type ProgressEvent = Extract<JobEvent, { type: 'progress' }>;

function etaText(seconds: number): string {
  return ` (${seconds < 90 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`} left)`;
}

/** "42% ppl layer 3/4 message (12 s left)"; `etaSeconds` stands in for an event that brings no estimate. */
export function progressLine(e: ProgressEvent, etaSeconds?: number): string {
  const pct = e.fraction === undefined ? '' : `${(e.fraction * 100).toFixed(0).padStart(3)}% `;
  const layer = e.layer !== undefined ? ` layer ${e.layer + 1}/${e.layers}` : '';
  const eta = e.etaSeconds ? etaText(e.etaSeconds) : etaSeconds !== undefined ? etaText(etaSeconds) : '';
  return `${pct}${e.phase}${layer}${e.message ? ` ${e.message}` : ''}${eta}`;
}

/** Piped output: a line when the phase or the tens digit of the percentage moves on, at most every few
 *  seconds, and one a minute while nothing moves; a 2-minute perplexity writes about a dozen lines. */
const PIPED_MIN_GAP_MS = 5000;
const PIPED_HEARTBEAT_MS = 60_000;

/** One status line on stderr: rewritten in place on a terminal, sparse plain lines when piped. */
export class LiveLine {
  #tty = Boolean(process.stderr.isTTY);
  #shown = false;
  #lastAt = 0;
  #lastKey = '';
  /** Where the current estimate is measured from (reset when the fraction goes back, a new stage). */
  #anchor: { at: number; fraction: number } | null = null;
  #ctx: Pick<CliContext, 'err'>;
  #now: () => number;
  /** `tty` and `now` default to stderr's kind and the wall clock (a test passes its own). */
  constructor(ctx: Pick<CliContext, 'err'>, o: { tty?: boolean; now?: () => number } = {}) {
    this.#ctx = ctx;
    this.#tty = o.tty ?? this.#tty;
    this.#now = o.now ?? Date.now;
  }

  /** A progress event, with an estimate of the time left from the pace so far when the job gives none. */
  progress(e: ProgressEvent, prefix = ''): void {
    const now = this.#now();
    const f = e.fraction;
    let eta: number | undefined;
    if (f !== undefined) {
      if (!this.#anchor || f < this.#anchor.fraction) this.#anchor = { at: now, fraction: f };
      const done = f - this.#anchor.fraction;
      const spent = (now - this.#anchor.at) / 1000;
      if (done >= 0.02 && spent >= 2 && f < 1) eta = (spent / done) * (1 - f);
    }
    const text = prefix + progressLine(e, eta);
    if (this.#tty) return this.#draw(text);
    const key = `${e.phase} ${f === undefined ? '' : Math.floor(f * 10)}`;
    const gap = now - this.#lastAt;
    if (this.#lastAt === 0 || (key !== this.#lastKey && gap >= PIPED_MIN_GAP_MS) || gap >= PIPED_HEARTBEAT_MS) {
      this.#ctx.err(text);
      this.#lastAt = now;
      this.#lastKey = key;
    }
  }

  #draw(text: string): void {
    const width = (process.stderr.columns ?? 100) - 1;
    process.stderr.write(`\r\x1b[K${text.slice(0, width)}`);
    this.#shown = true;
  }

  /** Print a whole line (a log message) without mangling the live line. */
  line(text: string): void {
    this.clear();
    this.#ctx.err(text);
  }

  clear(): void {
    if (this.#tty && this.#shown) process.stderr.write('\r\x1b[K');
    this.#shown = false;
  }
}
