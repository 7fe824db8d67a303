import { formatDuration, ProgressLine } from '../core/output';
import type { BatchLog, EpochLog, TrainingCallback, TrainingContext } from './callbacks';
import type { EarlyStopping } from './early-stopping';

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

/** The progress line of a training run: `epoch 3/10  batch 120/469  loss 0.0312  2,150 samples/s  1m05s left`. */
export function formatTrainingProgress(p: TrainingProgress): string {
  const width = String(p.batches).length;
  const loss = Number.isFinite(p.loss) ? p.loss.toPrecision(4) : String(p.loss);
  const rate = Math.round(p.samplesPerSecond).toLocaleString('en-US');
  const left = p.secondsLeft === undefined ? '' : `  ${formatDuration(p.secondsLeft)} left`;
  return `epoch ${p.epoch}/${p.epochs}  batch ${String(p.batch).padStart(width)}/${p.batches}  loss ${loss}  ${rate} samples/s${left}`;
}

/** A line of text redrawn in place and then finished, such as `ProgressLine`. */
export interface ProgressOutput {
  /** Shows `text` (a throttled output may skip it unless `force`). */
  update(text: string, force?: boolean): void;
  /** Shows the final `text`. */
  done(text: string): void;
}

/** Options of `TrainingProgressCallback`. */
export interface TrainingProgressOptions {
  /** The run's early stopping: the line shows its monitored term, and the best epoch at the end. */
  earlyStopping?: EarlyStopping;
  /** The output of one run. Default: a new `ProgressLine` (in a notebook, or on the terminal). */
  output?: () => ProgressOutput;
}

/**
 * The callback that shows a training run's live progress line: after each batch the epoch, batch,
 * loss, speed and time left (`formatTrainingProgress`); after each epoch the monitored training and
 * validation loss; at a normal end the epochs trained, the time, and the best epoch.
 */
export class TrainingProgressCallback implements TrainingCallback {
  private readonly earlyStopping?: EarlyStopping;
  private readonly makeOutput: () => ProgressOutput;
  private output: ProgressOutput | undefined;
  /** When the first epoch of this run began (after a resume has loaded), and which epoch it was. */
  private started = 0;
  private firstEpoch: number | undefined;
  /** Training samples of this run so far, and of the current epoch. */
  private samples = 0;
  private seen = 0;

  constructor(options: TrainingProgressOptions = {}) {
    this.earlyStopping = options.earlyStopping;
    this.makeOutput = options.output ?? (() => new ProgressLine());
  }

  private get monitor(): string {
    return this.earlyStopping?.monitor ?? 'total';
  }

  private get monitorName(): string {
    return this.monitor === 'total' ? 'loss' : this.monitor;
  }

  onTrainBegin(): void {
    this.output = this.makeOutput();
    this.firstEpoch = undefined;
    this.samples = 0;
  }

  onEpochBegin(context: TrainingContext): void {
    if (this.firstEpoch === undefined) {
      this.firstEpoch = context.epoch;
      this.started = performance.now();
    }
    this.seen = 0;
  }

  onBatchEnd(log: BatchLog, context: TrainingContext): void {
    this.samples += log.size;
    this.seen += log.size;
    const { epochs, train } = context.settings;
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = this.samples / Math.max(elapsed, 1e-9);
    const remaining = (epochs - log.epoch) * train.count + (train.count - this.seen);
    this.output?.update(formatTrainingProgress({ epoch: log.epoch, epochs, batch: log.batch, batches: log.batches, loss: log.losses.total, samplesPerSecond: rate, secondsLeft: remaining / rate }));
  }

  onEpochEnd(log: EpochLog, context: TrainingContext): void {
    const { monitor, monitorName } = this;
    this.output?.update(
      `epoch ${log.epoch}/${context.settings.epochs}  train ${monitorName} ${log.train[monitor]?.toPrecision(4)}` +
        (log.validation === undefined ? '' : `  validation ${monitorName} ${log.validation[monitor]?.toPrecision(4)}`) +
        `  ${Math.round(log.samplesPerSecond).toLocaleString('en-US')} samples/s`,
      true,
    );
  }

  onTrainEnd(context: TrainingContext, failed: boolean): void {
    const output = this.output;
    this.output = undefined;
    // A failed run leaves its last line as it was; the error says what happened.
    if (failed || output === undefined) return;
    const { epochs, validation } = context.settings;
    const seconds = (performance.now() - this.started) / 1000;
    const stoppedEarly = context.stopRequested && context.epoch < epochs;
    const best = this.earlyStopping;
    output.done(
      (this.firstEpoch !== undefined
        ? `trained epochs ${this.firstEpoch}-${context.epoch} of ${epochs} in ${formatDuration(seconds)}`
        : context.epoch >= epochs
          ? `nothing to train: the checkpoint is at epoch ${context.epoch} of ${epochs}`
          : `trained no epoch of ${epochs}`) +
        (stoppedEarly ? ' (stopped early)' : '') +
        (best === undefined ? '' : `; best ${validation === undefined ? 'train' : 'validation'} ${this.monitorName} ${best.bestLoss.toPrecision(4)} at epoch ${best.bestEpoch}`),
    );
  }
}
