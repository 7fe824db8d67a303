import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { EpochLog, TrainingCallback, TrainingContext } from './callbacks';
import { NonFiniteLossError, nonFiniteInSource } from './non-finite';
import { savedVariables } from './weights';

/** Options of `EarlyStopping` (the same fields and defaults as `train`'s). */
export interface EarlyStoppingOptions {
  /** Loss term to monitor, on the validation set when there is one, else the epoch's training mean. Default `total`. */
  monitor?: string;
  /** Stop after this many epochs without an improvement larger than `minDelta`. Default: never stop early. */
  patience?: number;
  /** Smallest decrease that counts as an improvement (a number >= 0). Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. Default true. */
  restoreBestWeights?: boolean;
}

/** What a checkpoint keeps of `EarlyStopping` besides the best weights. */
export interface EarlyStoppingState {
  /** Epoch of the best monitored loss so far; 0 before the first epoch. */
  bestEpoch: number;
  /** Best monitored loss so far; Infinity before the first epoch. */
  bestLoss: number;
  /** Epochs since the best one. */
  wait: number;
}

/**
 * The callback that follows the monitored loss after every epoch: it marks each `EpochLog` as
 * `improved` or not, keeps a copy of the best epoch's weights (model state included), asks the run
 * to stop after `patience` epochs without an improvement larger than `minDelta`, and puts the best
 * weights back when the run ends normally (not when it fails: then the model keeps its last
 * weights). A monitored loss that is NaN or infinite stops the run with `NonFiniteLossError`. It
 * must run before callbacks that read `improved` or its state (`train` puts it first).
 */
export class EarlyStopping implements TrainingCallback {
  readonly monitor: string;
  readonly patience?: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly current: EarlyStoppingState = { bestEpoch: 0, bestLoss: Number.POSITIVE_INFINITY, wait: 0 };
  /** Copies of the best epoch's variables, in the order of `savedVariables(model)`. */
  private best: tf.Tensor[] | undefined;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options.monitor ?? 'total';
    if (options.patience !== undefined) checkPositiveInt(options.patience, 'patience');
    this.patience = options.patience;
    this.minDelta = options.minDelta ?? 0;
    if (!Number.isFinite(this.minDelta) || this.minDelta < 0) throw new Error(`minDelta must be a finite number >= 0, got ${this.minDelta}`);
    this.restoreBestWeights = options.restoreBestWeights ?? true;
  }

  /** Best epoch, best loss and epochs since, as a copy. */
  get state(): EarlyStoppingState {
    return { ...this.current };
  }

  /** Epoch of the best monitored loss so far; 0 before the first epoch. */
  get bestEpoch(): number {
    return this.current.bestEpoch;
  }

  /** Best monitored loss so far; Infinity before the first epoch. */
  get bestLoss(): number {
    return this.current.bestLoss;
  }

  /** The kept copies of the best weights (read them, do not free them), in the order of `savedVariables(model)`; undefined when none are kept. */
  get bestWeights(): readonly tf.Tensor[] | undefined {
    return this.best;
  }

  /**
   * Puts back the state of a resumed run, with its best weights (this callback owns and frees them
   * from now on), in the order of `savedVariables(model)`.
   */
  restoreState(state: EarlyStoppingState, bestWeights?: tf.Tensor[]): void {
    this.current.bestEpoch = state.bestEpoch;
    this.current.bestLoss = state.bestLoss;
    this.current.wait = state.wait;
    this.disposeBest();
    this.best = bestWeights;
  }

  onEpochEnd(log: EpochLog, context: TrainingContext): void {
    const { monitor } = this;
    const watched = (log.validation ?? log.train)[monitor];
    if (watched === undefined) throw new Error(`monitor "${monitor}" is not a loss term of ${context.model.name} (terms: ${Object.keys(log.train).join(', ')})`);
    if (!Number.isFinite(watched)) {
      // The epoch's updates are applied and the best weights are not put back: say so, and look for a NaN/Inf in the validation data.
      const bestEpoch = this.restoreBestWeights && this.best !== undefined ? this.current.bestEpoch : 0;
      const { validation, evaluationBatchSize, batchesPerEpoch } = context.settings;
      throw validation === undefined
        ? new NonFiniteLossError(log.epoch, batchesPerEpoch, monitor, watched, { stage: 'epoch', bestEpoch })
        : new NonFiniteLossError(log.epoch, batchesPerEpoch, monitor, watched, { stage: 'validation', bestEpoch, input: nonFiniteInSource(validation, evaluationBatchSize) });
    }
    log.improved = watched < this.current.bestLoss - this.minDelta;
    if (log.improved) {
      this.current.bestLoss = watched;
      this.current.bestEpoch = log.epoch;
      this.current.wait = 0;
      if (this.restoreBestWeights) this.keepBest(context);
    } else {
      this.current.wait += 1;
    }
    if (this.patience !== undefined && this.current.wait >= this.patience && log.epoch < context.settings.epochs) context.stop();
  }

  onTrainEnd(context: TrainingContext, failed: boolean): void {
    const best = this.best;
    if (!failed && this.restoreBestWeights && best !== undefined) {
      tf.tidy(() => savedVariables(context.model).forEach(({ variable }, i) => variable.assign(best[i])));
    }
    this.disposeBest();
  }

  private keepBest(context: TrainingContext): void {
    this.disposeBest();
    this.best = savedVariables(context.model).map(({ variable }) => tf.keep(variable.clone()));
  }

  private disposeBest(): void {
    this.best?.forEach((t) => t.dispose());
    this.best = undefined;
  }
}
