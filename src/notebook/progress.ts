import { emit, escapeHtml, inNotebook, newDisplayId } from './display';

/** Options for `ProgressLine`. */
export interface ProgressLineOptions {
  /** Fewest milliseconds between two redraws; updates in between are skipped. Default 250. */
  minIntervalMs?: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * One line of output that updates in place (a display with an id, replaced by
 * `update_display_data`), for progress of long work. Outside a notebook it rewrites a terminal
 * line, or prints at most every ten seconds when output is not a terminal.
 */
export class ProgressLine {
  private readonly id = newDisplayId('progress');
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private shown = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private finished = false;

  constructor(options: ProgressLineOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** Shows `text`, unless the line was redrawn less than `minIntervalMs` ago and `force` is false. */
  update(text: string, force = false): void {
    if (this.finished) throw new Error('ProgressLine.update called after done()');
    const t = this.now();
    if (!force && this.shown && t - this.lastDraw < this.minIntervalMs) return;
    this.draw(text, false);
    this.lastDraw = t;
  }

  /** Shows the final `text` and ends the line; later updates are an error. */
  done(text: string): void {
    if (this.finished) return;
    this.draw(text, true);
    this.finished = true;
  }

  private draw(text: string, final: boolean): void {
    if (inNotebook()) {
      emit(
        {
          data: { 'text/plain': text, 'text/html': `<pre class="replearn-progress" style="margin:0">${escapeHtml(text)}</pre>` },
          metadata: {},
          transient: { display_id: this.id },
        },
        this.shown,
      );
    } else if (process.stderr.isTTY === true) {
      process.stderr.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    } else if (final || !this.shown || this.now() - this.lastDraw >= 10000) {
      process.stderr.write(`${text}\n`);
    }
    this.shown = true;
  }
}

/** Where a training run stands, as plain numbers. */
export interface TrainingProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  samplesPerSecond: number;
  /** Estimated seconds until the run ends; `undefined` before it can be estimated. */
  secondsLeft?: number;
}

/** Seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The progress line of a training run: `epoch 3/10  batch 120/469  loss 0.0312  2,150 samples/s  1m05s left`. */
export function formatTrainingProgress(p: TrainingProgress): string {
  const width = String(p.batches).length;
  const loss = Number.isFinite(p.loss) ? p.loss.toPrecision(4) : String(p.loss);
  const rate = Math.round(p.samplesPerSecond).toLocaleString('en-US');
  const left = p.secondsLeft === undefined ? '' : `  ${formatDuration(p.secondsLeft)} left`;
  return `epoch ${p.epoch}/${p.epochs}  batch ${String(p.batch).padStart(width)}/${p.batches}  loss ${loss}  ${rate} samples/s${left}`;
}
