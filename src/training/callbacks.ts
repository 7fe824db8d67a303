import type { BatchSource } from '../data/dataset-file';
import type { TrainableModel } from '../models/model';
import type { Optimizer } from './optimizer';

/** Loss terms as plain numbers, e.g. `{ total: 95.2, reconstruction: 95.2 }`. */
export type LossValues = Record<string, number>;

/** What one epoch did. */
export interface EpochLog {
  epoch: number;
  /** Mean of each loss term over the epoch's training batches (weighted by batch size). */
  train: LossValues;
  /** Each loss term on the validation set, after the epoch; absent without a validation set. */
  validation?: LossValues;
  seconds: number;
  samplesPerSecond: number;
  /**
   * True when the monitored loss improved on the best so far. The early-stopping callback sets it;
   * `train` runs that callback first, so every other callback sees it set.
   */
  improved: boolean;
}

/** What `onBatchEnd` receives. */
export interface BatchLog {
  epoch: number;
  /** Batch number within the epoch, from 1. */
  batch: number;
  batches: number;
  size: number;
  losses: LossValues;
}

/** The settings of a training run, as callbacks may read them. */
export interface TrainingSettings {
  /** Training examples. */
  readonly train: BatchSource;
  /** Validation examples, evaluated after every epoch; absent without a validation set. */
  readonly validation?: BatchSource;
  /** Last epoch of the run (epochs count from 1). */
  readonly epochs: number;
  readonly batchSize: number;
  /** Seed of the batch order. */
  readonly seed: number;
  /** L2 factor of the `l2` loss term; 0 without one. */
  readonly l2: number;
  /** Batch size of the validation. */
  readonly evaluationBatchSize: number;
  /** Training batches per epoch. */
  readonly batchesPerEpoch: number;
}

/**
 * What a callback can see and do during a training run. Everything it reads is a plain number or
 * a plain object, except the model and the optimiser themselves.
 */
export interface TrainingContext {
  /** The model being trained. */
  readonly model: TrainableModel;
  /** The optimiser (its step count and state are what a checkpoint saves). */
  readonly optimizer: Optimizer;
  readonly settings: TrainingSettings;
  /**
   * The epoch being trained, from 1. In `onTrainBegin`, the last epoch already trained: 0, or the
   * epoch of the checkpoint a run resumed. After the loop, the last epoch it started.
   */
  readonly epoch: number;
  /** One log per epoch trained so far, those of a resumed run included, oldest first. */
  readonly history: readonly EpochLog[];
  /**
   * Learning rate of the next updates. Setting it sets the optimiser's rate (a finite number >= 0);
   * a checkpoint does not save it, so a schedule sets it again each epoch (see `learningRateSchedule`).
   */
  learningRate: number;
  /** True once a callback asked the run to stop. */
  readonly stopRequested: boolean;
  /**
   * Asks the run to stop after the current epoch, once its validation and every callback's
   * `onEpochEnd` are done (so its checkpoint is written); asked in `onTrainBegin`, no epoch runs.
   */
  stop(): void;
  /**
   * In `onTrainBegin` only: the run continues after the last epoch of `history`, the logs of the
   * epochs a checkpoint holds (the weights and optimiser state are the caller's to restore).
   */
  resume(history: readonly EpochLog[]): void;
}

/**
 * A hook into the training loop; every method is optional and may be async (the loop awaits it).
 * Callbacks run in the order they are given, at each point of the loop:
 *
 * ```
 * onTrainBegin
 * for each epoch:   onEpochBegin, (for each batch: a training step, onBatchEnd),
 *                   model.onEpochEnd, validation, onEpochEnd
 * onTrainEnd
 * ```
 *
 * `onTrainEnd` runs for every callback however the run ends, even when an earlier callback's
 * `onTrainBegin` failed: free there what the callback holds.
 */
export interface TrainingCallback {
  /** Before the first epoch (a checkpoint callback resumes here). */
  onTrainBegin?(context: TrainingContext): void | Promise<void>;
  /** Before each epoch's first batch (`context.epoch` is the new epoch; a schedule sets the learning rate here). */
  onEpochBegin?(context: TrainingContext): void | Promise<void>;
  /** After each training step, with that batch's losses. */
  onBatchEnd?(log: BatchLog, context: TrainingContext): void | Promise<void>;
  /** After each epoch's validation; `log` is also the last entry of `context.history`. */
  onEpochEnd?(log: EpochLog, context: TrainingContext): void | Promise<void>;
  /**
   * Once, at the end: `failed` is true when the run throws (the error then reaches the caller of
   * `train` after every callback's `onTrainEnd` has run).
   */
  onTrainEnd?(context: TrainingContext, failed: boolean): void | Promise<void>;
}

/**
 * A callback that sets the learning rate at the start of each epoch to `schedule(epoch)` (epochs
 * from 1), e.g. `learningRateSchedule((epoch) => 1e-3 * 0.5 ** Math.floor((epoch - 1) / 10))`
 * halves it every ten epochs. A rate that is not a finite number >= 0 is an error naming the epoch.
 * A resumed run calls the schedule again for its epochs, so it trains at the same rates.
 */
export function learningRateSchedule(schedule: (epoch: number) => number): TrainingCallback {
  if (typeof schedule !== 'function') throw new Error(`learningRateSchedule needs a function of the epoch, got ${typeof schedule}`);
  return {
    onEpochBegin(context: TrainingContext): void {
      const rate = schedule(context.epoch);
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
        throw new Error(`learningRateSchedule: the schedule gave learning rate ${String(rate)} for epoch ${context.epoch}; it must be a finite number >= 0`);
      }
      context.learningRate = rate;
    },
  };
}
