import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { EventLoopYielder } from '../core/event-loop';
import { liveOutputAvailable } from '../core/output';
import type { HostBatch } from '../data/batches';
import { batchCount } from '../data/batches';
import type { BatchSource } from '../data/dataset-file';
import { batchesOf } from '../data/dataset-file';
import { kernelWeights, l2Penalty } from '../losses';
import type { LossTerms, TrainableModel, TrainBatch } from '../models/model';
import type { BatchLog, EpochLog, LossValues, TrainingCallback, TrainingContext, TrainingSettings } from './callbacks';
import { CheckpointCallback } from './checkpoint-callback';
import { EarlyStopping } from './early-stopping';
import { NonFiniteLossError, nonFiniteInBatch } from './non-finite';
import type { OptimizerName } from './optimizer';
import { Optimizer } from './optimizer';
import { TrainingProgressCallback } from './progress';

// The logs and the NaN error moved next to the callbacks; they stay importable from here.
export type { BatchLog, EpochLog, LossValues } from './callbacks';
export { NonFiniteLossError } from './non-finite';
export type { NonFiniteInput, NonFiniteLossDetails, NonFiniteLossStage } from './non-finite';

/**
 * The two callbacks `train` has always taken in `callbacks`; any `TrainingCallback` (which these
 * are) may be given there too, or an array of them.
 */
export interface TrainCallbacks {
  onBatchEnd?: (log: BatchLog) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
}

/** Options of `train`. */
export interface TrainOptions {
  /** Training examples, in memory (`Dataset`) or streamed from disk (`FileDataset`). */
  train: BatchSource;
  /** Checked after every epoch; early stopping and best weights follow its loss. */
  validation?: BatchSource;
  epochs: number;
  batchSize: number;
  /** Seed of the batch order (each epoch's order depends only on the seed and the epoch). */
  seed: number;
  optimizer?: OptimizerName;
  /** Default 1e-3. A `learningRateSchedule` in `callbacks` changes it per epoch. */
  learningRate?: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
  /** L2 regularisation: adds the term `l2` = this times the sum of squared weights (not biases) to the total (see `l2Penalty`). Default 0. */
  l2?: number;
  /** Loss term to monitor. Default `total`. */
  monitor?: string;
  /** Stop after this many epochs without an improvement larger than `minDelta`. Default: never stop early. */
  patience?: number;
  /** Smallest decrease that counts as an improvement (a number >= 0). Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. Default true. */
  restoreBestWeights?: boolean;
  /** Batch size for validation. Default 1024. */
  evaluationBatchSize?: number;
  /**
   * Save a checkpoint here after every epoch (atomically). The folder is locked for the run
   * (`checkpoint.lock`, see `lockCheckpointDir`): a second run on it while this one runs is an error.
   */
  checkpointDir?: string;
  /**
   * Continue from the checkpoint in `checkpointDir` if there is one. Default true. Only a training
   * checkpoint of a run with the same seed, batchSize, optimizer settings (learningRate included), l2
   * and training set (see `trainingSetFingerprint`) is resumed; any other is an error.
   */
  resume?: boolean;
  /**
   * Callbacks of the run (`TrainCallbacks`, or any `TrainingCallback`s, e.g. a
   * `learningRateSchedule`); they run after the built-in ones (early stopping, progress,
   * checkpoint), in the order given. They get plain numbers, never tensors, and may be async.
   */
  callbacks?: TrainingCallback | readonly TrainingCallback[];
  /** Show the live progress line. Default: in a notebook or on a terminal. */
  progress?: boolean;
  /** Turns a host batch into tensors. Default: `x` shaped `[size, ...featureShape]`, int32 `labels`. */
  toBatch?: (batch: HostBatch, featureShape: readonly number[]) => TrainBatch;
}

/** What `train` returns. */
export interface TrainResult {
  history: EpochLog[];
  /** Epoch whose weights the model holds at the end when best weights are restored. */
  bestEpoch: number;
  /** Best value of the monitored loss (validation when there is a validation set). */
  bestLoss: number;
  /** True when a callback (early stopping, or one of `callbacks`) stopped the run before `epochs`. */
  stoppedEarly: boolean;
  /** First epoch this call trained (above 1 when it resumed from a checkpoint). */
  startEpoch: number;
  /** Wall time of this call in seconds. */
  seconds: number;
  /** Training samples per second over this call. */
  samplesPerSecond: number;
}

/** A model over a fixed set of classes: `train` and `evaluateLoss` check a dataset's `classCount` and labels against it. */
export interface Classifier {
  /** Number of classes; labels lie in `0..classCount-1`. */
  readonly classCount: number;
}

/**
 * Refuses `source` when `model` is a `Classifier` and the dataset's `classCount` differs from the
 * model's or a label lies outside its classes; `name` names the dataset in the error.
 */
function checkClasses(model: TrainableModel, source: BatchSource, name: string): void {
  const classCount = (model as TrainableModel & Partial<Classifier>).classCount;
  if (typeof classCount !== 'number') return;
  if (source.classCount !== undefined && source.classCount !== classCount) {
    throw new Error(`the ${name} has classCount ${source.classCount}, but model ${model.name} has classCount ${classCount}`);
  }
  const labels = source.labels;
  if (labels === undefined) return;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!(label >= 0 && label < classCount)) {
      throw new Error(`the ${name}'s label ${i} is ${label}, outside the classes 0..${classCount - 1} of model ${model.name} (classCount ${classCount})`);
    }
  }
}

/** The default host-to-tensor conversion of a batch. */
export function defaultToBatch(batch: HostBatch, featureShape: readonly number[]): TrainBatch {
  return {
    x: tf.tensor(batch.x, [batch.size, ...featureShape], 'float32'),
    labels: batch.labels === undefined ? undefined : tf.tensor1d(batch.labels, 'int32'),
  };
}

function disposeBatch(batch: TrainBatch): void {
  batch.x.dispose();
  batch.labels?.dispose();
}

/**
 * The model's loss terms on `batch`, plus the term `l2` (added to `total`) when `l2 > 0`: what the
 * trainer minimises and reports. `step` and `epoch` reach `computeLoss` (see `LossOptions`).
 */
export function regularizedLoss(model: TrainableModel, batch: TrainBatch, training: boolean, l2 = 0, step?: number, epoch?: number): LossTerms {
  // `epoch` is left out, not undefined, when not given: evaluation passes none.
  const terms = model.computeLoss(batch, epoch === undefined ? { training, step } : { training, step, epoch });
  if (l2 === 0) return terms;
  const penalty = l2Penalty(kernelWeights(model.namedVariables), l2);
  return { ...terms, total: terms.total.add(penalty), l2: penalty };
}

/**
 * Each loss term of `model` on `dataset`, averaged over its examples (batches weighted by size);
 * the sums stay on the device and are read back once. With `l2`, the term `l2` is included as in training.
 */
export async function evaluateLoss(
  model: TrainableModel,
  dataset: BatchSource,
  options: { batchSize?: number; toBatch?: TrainOptions['toBatch']; l2?: number } = {},
): Promise<LossValues> {
  checkClasses(model, dataset, 'dataset');
  const toBatch = options.toBatch ?? defaultToBatch;
  let names: string[] | undefined;
  let sum: tf.Tensor1D | undefined;
  let index = 0;
  for (const hb of batchesOf(dataset, { batchSize: options.batchSize ?? 1024, shuffle: false })) {
    // The batch's index seeds any noise the loss draws (a VAE's eps), so an evaluation is a function of the weights.
    const step = index++;
    const next = tf.tidy(() => {
      const batch = toBatch(hb, dataset.featureShape);
      const terms = regularizedLoss(model, batch, false, options.l2 ?? 0, step);
      names ??= Object.keys(terms);
      const stacked = tf.stack((names ?? []).map((n) => terms[n])).mul(hb.size) as tf.Tensor1D;
      disposeBatch(batch);
      return sum === undefined ? stacked : sum.add<tf.Tensor1D>(stacked);
    });
    sum?.dispose();
    sum = next;
  }
  if (sum === undefined || names === undefined) throw new Error('evaluateLoss: the dataset is empty');
  const values = await sum.data();
  sum.dispose();
  return Object.fromEntries(names.map((n, i) => [n, values[i] / dataset.count]));
}

function checkOptions(options: TrainOptions): void {
  checkPositiveInt(options.epochs, 'epochs');
  checkPositiveInt(options.batchSize, 'batchSize');
  if (options.evaluationBatchSize !== undefined) checkPositiveInt(options.evaluationBatchSize, 'evaluationBatchSize');
  if (options.patience !== undefined) checkPositiveInt(options.patience, 'patience');
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  if (options.train.count === 0) throw new Error('the training set is empty');
  if (options.l2 !== undefined && (!Number.isFinite(options.l2) || options.l2 < 0)) throw new Error(`l2 must be a number >= 0, got ${options.l2}`);
  if (options.validation !== undefined) {
    if (options.validation.count === 0) throw new Error('the validation set is empty');
    if (options.validation === options.train || ('x' in options.validation && 'x' in options.train && options.validation.x === options.train.x)) {
      throw new Error('the validation set is the training set: keep them disjoint');
    }
  }
}

/** The context the loop hands its callbacks: the run's settings and what the loop has done so far. */
class LoopContext implements TrainingContext {
  epoch = 0;
  readonly history: EpochLog[] = [];
  /** True until every `onTrainBegin` has run: only then may a callback `resume`. */
  beginning = true;
  private stopAsked = false;

  constructor(
    readonly model: TrainableModel,
    readonly optimizer: Optimizer,
    readonly settings: TrainingSettings,
  ) {}

  get learningRate(): number {
    return this.optimizer.learningRate;
  }

  set learningRate(rate: number) {
    this.optimizer.learningRate = rate;
  }

  get stopRequested(): boolean {
    return this.stopAsked;
  }

  stop(): void {
    this.stopAsked = true;
  }

  resume(history: readonly EpochLog[]): void {
    if (!this.beginning) throw new Error('TrainingContext.resume may only be called in onTrainBegin');
    if (this.history.length > 0) throw new Error(`TrainingContext.resume: the run was already resumed at epoch ${this.epoch}`);
    this.history.push(...history);
    this.epoch = history.length;
  }
}

/** What one run of the loop did, besides the history its context holds. */
interface LoopResult {
  stoppedEarly: boolean;
  startEpoch: number;
  seconds: number;
  samplesPerSecond: number;
}

/**
 * One epoch of mini-batch training: a step per batch (one read-back of every loss term, a stop
 * with `NonFiniteLossError` on a NaN/Inf one before its update), then `onBatchEnd` of every
 * callback. Returns the epoch's mean training losses and how many examples it saw.
 */
async function trainEpoch(context: LoopContext, callbacks: readonly TrainingCallback[], toBatch: NonNullable<TrainOptions['toBatch']>, yielder: EventLoopYielder): Promise<{ losses: LossValues; seen: number }> {
  const { model, optimizer, settings, epoch } = context;
  const { train: source, batchSize, seed, l2 } = settings;
  const sums: LossValues = {};
  let seen = 0;
  for (const hb of batchesOf(source, { batchSize, seed, epoch })) {
    const batch = toBatch(hb, source.featureShape);
    let names: string[] = [];
    let stacked: tf.Tensor | undefined;
    let step: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    let losses: LossValues;
    // Whatever throws (computeLoss, a NaN loss, the update), the batch and the step's tensors are freed.
    try {
      step = tf.variableGrads(() => {
        const terms = regularizedLoss(model, batch, true, l2, optimizer.step, epoch);
        names = Object.keys(terms);
        stacked = tf.keep(tf.stack(names.map((n) => terms[n])));
        return terms.total;
      }, model.trainableVariables as tf.Variable[]);
      // The one read-back of this step: every loss term at once.
      const read = stacked === undefined ? new Float32Array(0) : await stacked.data();
      losses = Object.fromEntries(names.map((n, i) => [n, read[i]]));
      for (const [term, v] of Object.entries(losses)) {
        if (!Number.isFinite(v)) {
          // Only on failure: a NaN/Inf in the inputs means the data, not the learning rate, is at fault.
          throw new NonFiniteLossError(epoch, hb.index + 1, term, v, { input: nonFiniteInBatch(source, hb, { batchSize, seed, epoch }) });
        }
      }
      optimizer.apply(step.grads);
    } finally {
      stacked?.dispose();
      if (step !== undefined) {
        step.value.dispose();
        tf.dispose(step.grads);
      }
      disposeBatch(batch);
    }
    for (const [term, v] of Object.entries(losses)) sums[term] = (sums[term] ?? 0) + v * hb.size;
    seen += hb.size;
    const log: BatchLog = { epoch, batch: hb.index + 1, batches: settings.batchesPerEpoch, size: hb.size, losses };
    for (const callback of callbacks) await callback.onBatchEnd?.(log, context);
    await yielder.maybeYield();
  }
  return { losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen])), seen };
}

/**
 * The training loop: `onTrainBegin`; for each epoch `onEpochBegin`, the epoch's steps, the model's
 * `onEpochEnd`, validation, and `onEpochEnd`, until `epochs` or a callback's `stop`; then
 * `onTrainEnd` of every callback, however the run ended (a failure is re-thrown after them).
 */
async function runLoop(context: LoopContext, callbacks: readonly TrainingCallback[], toBatch: NonNullable<TrainOptions['toBatch']>): Promise<LoopResult> {
  const { model, settings } = context;
  let result: LoopResult | undefined;
  let failure: { error: unknown } | undefined;
  try {
    for (const callback of callbacks) await callback.onTrainBegin?.(context);
    context.beginning = false;
    const startEpoch = context.epoch + 1;
    const started = performance.now();
    let samples = 0;
    const yielder = new EventLoopYielder();
    for (let epoch = startEpoch; epoch <= settings.epochs && !context.stopRequested; epoch++) {
      context.epoch = epoch;
      for (const callback of callbacks) await callback.onEpochBegin?.(context);
      const epochStart = performance.now();
      const trained = await trainEpoch(context, callbacks, toBatch, yielder);
      samples += trained.seen;
      model.onEpochEnd?.(epoch);
      const validation = settings.validation === undefined ? undefined : await evaluateLoss(model, settings.validation, { batchSize: settings.evaluationBatchSize, toBatch, l2: settings.l2 });
      const seconds = (performance.now() - epochStart) / 1000;
      const log: EpochLog = { epoch, train: trained.losses, validation, seconds, samplesPerSecond: trained.seen / seconds, improved: false };
      context.history.push(log);
      for (const callback of callbacks) await callback.onEpochEnd?.(log, context);
    }
    const seconds = (performance.now() - started) / 1000;
    result = { stoppedEarly: context.stopRequested && context.epoch < settings.epochs, startEpoch, seconds, samplesPerSecond: samples / Math.max(seconds, 1e-9) };
  } catch (error) {
    failure = { error };
  }
  let endFailure: { error: unknown } | undefined;
  for (const callback of callbacks) {
    try {
      await callback.onTrainEnd?.(context, failure !== undefined);
    } catch (error) {
      endFailure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
  if (endFailure !== undefined) throw endFailure.error;
  return result as LoopResult;
}

/** `train`'s `callbacks` option as a list. */
function callbackList(callbacks: TrainOptions['callbacks']): readonly TrainingCallback[] {
  if (callbacks === undefined) return [];
  return isCallbackArray(callbacks) ? callbacks : [callbacks];
}

function isCallbackArray(callbacks: TrainingCallback | readonly TrainingCallback[]): callbacks is readonly TrainingCallback[] {
  return Array.isArray(callbacks);
}

/**
 * Trains `model` with mini-batch gradient descent: validation after every epoch, early stopping
 * with `patience`, the best weights kept and restored, a stop with `NonFiniteLossError` on a
 * NaN/Inf loss, a live progress line, and (with `checkpointDir`) an atomic checkpoint of weights,
 * optimiser state and epoch after each epoch from which an interrupted run resumes. Each step
 * reads its losses back once, asynchronously. It is one loop plus callbacks: `EarlyStopping`
 * first, then `TrainingProgressCallback` (with `progress`), `CheckpointCallback` (with
 * `checkpointDir`), and those of `callbacks`. `computeLoss` gets `{ training: true, step, epoch }`
 * in training (the optimiser's step count, the epoch from 1) and `{ training: false, step }` in
 * validation (the batch's index); the model's `onEpochEnd` runs after each epoch's steps, before
 * validation and the checkpoint.
 */
export async function train(model: TrainableModel, options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  checkClasses(model, options.train, 'training set');
  if (options.validation !== undefined) checkClasses(model, options.validation, 'validation set');
  const settings: TrainingSettings = {
    train: options.train,
    validation: options.validation,
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
    l2: options.l2 ?? 0,
    evaluationBatchSize: options.evaluationBatchSize ?? 1024,
    batchesPerEpoch: batchCount(options.train.count, options.batchSize),
  };
  const earlyStopping = new EarlyStopping({ monitor: options.monitor, patience: options.patience, minDelta: options.minDelta, restoreBestWeights: options.restoreBestWeights });
  const callbacks: TrainingCallback[] = [earlyStopping];
  if (options.progress ?? liveOutputAvailable()) callbacks.push(new TrainingProgressCallback({ earlyStopping }));
  if (options.checkpointDir !== undefined) callbacks.push(new CheckpointCallback({ dir: options.checkpointDir, resume: options.resume, earlyStopping }));
  callbacks.push(...callbackList(options.callbacks));
  const optimizer = new Optimizer(model.namedVariables, {
    name: options.optimizer ?? 'adam',
    learningRate: options.learningRate ?? 1e-3,
    momentum: options.momentum,
  }, model.learningRateScales);
  try {
    const context = new LoopContext(model, optimizer, settings);
    const run = await runLoop(context, callbacks, options.toBatch ?? defaultToBatch);
    return { history: context.history, bestEpoch: earlyStopping.bestEpoch, bestLoss: earlyStopping.bestLoss, ...run };
  } finally {
    optimizer.dispose();
  }
}
