import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { EventLoopYielder } from '../core/event-loop';
import type { HostBatch } from '../data/batches';
import { batchCount } from '../data/batches';
import type { BatchSource } from '../data/dataset-file';
import { batchesOf } from '../data/dataset-file';
import { kernelWeights, l2Penalty } from '../losses';
import type { LossTerms, TrainableModel, TrainBatch } from '../models/model';
import { inNotebook } from '../notebook/display';
import { formatDuration, formatTrainingProgress, ProgressLine } from '../notebook/progress';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import type { OptimizerName } from './optimizer';
import { Optimizer } from './optimizer';
import { assignFromCheckpoint, modelMeta, savedVariables, weightTensors } from './weights';

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
  /** True when the monitored loss improved on the best so far. */
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

/** Callbacks of a training run; they get plain numbers, never tensors, and may be async. */
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
  /** Default 1e-3. */
  learningRate?: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
  /** L2 regularisation: adds the term `l2` = this times the sum of squared weights (not biases) to the total (see `l2Penalty`). Default 0. */
  l2?: number;
  /** Loss term to monitor. Default `total`. */
  monitor?: string;
  /** Stop after this many epochs without an improvement larger than `minDelta`. Default: never stop early. */
  patience?: number;
  /** Smallest decrease that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. Default true. */
  restoreBestWeights?: boolean;
  /** Batch size for validation. Default 1024. */
  evaluationBatchSize?: number;
  /** Save a checkpoint here after every epoch (atomically). */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir` if there is one. Default true. */
  resume?: boolean;
  callbacks?: TrainCallbacks;
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
  stoppedEarly: boolean;
  /** First epoch this call trained (above 1 when it resumed from a checkpoint). */
  startEpoch: number;
  /** Wall time of this call in seconds. */
  seconds: number;
  /** Training samples per second over this call. */
  samplesPerSecond: number;
}

/** Raised when a loss becomes NaN or infinite; names the epoch, the batch and the term. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly term: string,
    readonly value: number,
  ) {
    super(`loss term "${term}" is ${value} at epoch ${epoch}, batch ${batch}: training stopped (weights are those before this batch; try a lower learningRate)`);
    this.name = 'NonFiniteLossError';
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
 * trainer minimises and reports.
 */
export function regularizedLoss(model: TrainableModel, batch: TrainBatch, training: boolean, l2 = 0, step?: number): LossTerms {
  const terms = model.computeLoss(batch, { training, step });
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

interface TrainerState {
  epoch: number;
  history: EpochLog[];
  bestEpoch: number;
  bestLoss: number;
  wait: number;
}

/**
 * Trains `model` with mini-batch gradient descent: validation after every epoch, early stopping
 * with `patience`, the best weights kept and restored, a stop with `NonFiniteLossError` on a
 * NaN/Inf loss, a live progress line, and (with `checkpointDir`) an atomic checkpoint of weights,
 * optimiser state and epoch after each epoch from which an interrupted run resumes. Each step
 * reads its losses back once, asynchronously.
 */
export async function train(model: TrainableModel, options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  const { epochs, batchSize, seed } = options;
  const monitor = options.monitor ?? 'total';
  const monitorName = monitor === 'total' ? 'loss' : monitor;
  const minDelta = options.minDelta ?? 0;
  const restoreBest = options.restoreBestWeights ?? true;
  const toBatch = options.toBatch ?? defaultToBatch;
  const showProgress = options.progress ?? (inNotebook() || process.stderr.isTTY === true);
  const optimizer = new Optimizer(model.namedVariables, {
    name: options.optimizer ?? 'adam',
    learningRate: options.learningRate ?? 1e-3,
    momentum: options.momentum,
  });
  const l2 = options.l2 ?? 0;
  const runMeta = { seed, batchSize, optimizer: optimizer.config, l2 };
  let best: tf.Tensor[] | undefined;
  const snapshotVariables = savedVariables(model);
  const state: TrainerState = { epoch: 0, history: [], bestEpoch: 0, bestLoss: Number.POSITIVE_INFINITY, wait: 0 };
  const keepBest = () => {
    best?.forEach((t) => t.dispose());
    best = snapshotVariables.map(({ variable }) => tf.keep(variable.clone()));
  };

  try {
    if (options.checkpointDir !== undefined && (options.resume ?? true) && hasCheckpoint(options.checkpointDir)) {
      const checkpoint = loadCheckpoint(options.checkpointDir);
      const saved = checkpoint.meta.run as typeof runMeta | undefined;
      if (saved === undefined || saved.seed !== seed || saved.batchSize !== batchSize || saved.optimizer?.name !== optimizer.config.name || (saved.l2 ?? 0) !== l2) {
        throw new Error(
          `checkpoint ${checkpoint.source} was written by a run with ${JSON.stringify(saved ?? null)}; this run has seed ${seed}, batchSize ${batchSize}, optimizer ${optimizer.config.name}, l2 ${l2}. Use another checkpointDir or resume: false`,
        );
      }
      assignFromCheckpoint(checkpoint, model, 'weights/');
      const trainer = checkpoint.meta.trainer as TrainerState;
      const optimizerValues = new Map<string, { shape: readonly number[]; values: Float32Array }>();
      for (const [name, t] of checkpoint.tensors) if (name.startsWith('optimizer/')) optimizerValues.set(name.slice('optimizer/'.length), t);
      optimizer.loadState(checkpoint.meta.optimizerStep as number, optimizerValues, checkpoint.source);
      Object.assign(state, trainer);
      if (restoreBest && state.bestEpoch > 0) {
        best = snapshotVariables.map(({ name, variable }) => {
          const t = checkpoint.tensors.get(`best/${name}`);
          if (t === undefined) throw new Error(`checkpoint ${checkpoint.source} has no best weights for ${name}`);
          return tf.keep(tf.tensor(t.values, variable.shape));
        });
      }
    }

    const startEpoch = state.epoch + 1;
    const started = performance.now();
    let samplesThisCall = 0;
    const batchesPerEpoch = batchCount(options.train.count, batchSize);
    const progress = showProgress ? new ProgressLine() : undefined;
    const yielder = new EventLoopYielder();
    let stoppedEarly = false;

    for (let epoch = startEpoch; epoch <= epochs; epoch++) {
      const epochStart = performance.now();
      const sums: LossValues = {};
      let seen = 0;
      for (const hb of batchesOf(options.train, { batchSize, seed, epoch })) {
        const batch = toBatch(hb, options.train.featureShape);
        let names: string[] = [];
        let stacked: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const terms = regularizedLoss(model, batch, true, l2, optimizer.step);
          names = Object.keys(terms);
          stacked = tf.keep(tf.stack(names.map((n) => terms[n])));
          return terms.total;
        }, model.trainableVariables as tf.Variable[]);
        // The one read-back of this step: every loss term at once.
        const read = stacked === undefined ? new Float32Array(0) : await stacked.data();
        stacked?.dispose();
        const losses: LossValues = Object.fromEntries(names.map((n, i) => [n, read[i]]));
        value.dispose();
        disposeBatch(batch);
        for (const [term, v] of Object.entries(losses)) {
          if (!Number.isFinite(v)) {
            tf.dispose(grads);
            throw new NonFiniteLossError(epoch, hb.index + 1, term, v);
          }
        }
        optimizer.apply(grads);
        tf.dispose(grads);
        for (const [term, v] of Object.entries(losses)) sums[term] = (sums[term] ?? 0) + v * hb.size;
        seen += hb.size;
        samplesThisCall += hb.size;
        await options.callbacks?.onBatchEnd?.({ epoch, batch: hb.index + 1, batches: batchesPerEpoch, size: hb.size, losses });
        if (progress !== undefined) {
          const elapsed = (performance.now() - started) / 1000;
          const rate = samplesThisCall / Math.max(elapsed, 1e-9);
          const remaining = (epochs - epoch) * options.train.count + (options.train.count - seen);
          progress.update(
            formatTrainingProgress({ epoch, epochs, batch: hb.index + 1, batches: batchesPerEpoch, loss: losses.total, samplesPerSecond: rate, secondsLeft: remaining / rate }),
          );
        }
        await yielder.maybeYield();
      }
      const trainLosses = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen]));
      const validation = options.validation === undefined ? undefined : await evaluateLoss(model, options.validation, { batchSize: options.evaluationBatchSize, toBatch, l2 });
      const watched = (validation ?? trainLosses)[monitor];
      if (watched === undefined) throw new Error(`monitor "${monitor}" is not a loss term of ${model.name} (terms: ${Object.keys(trainLosses).join(', ')})`);
      if (!Number.isFinite(watched)) throw new NonFiniteLossError(epoch, batchesPerEpoch, `${validation === undefined ? 'train' : 'validation'} ${monitor}`, watched);
      const improved = watched < state.bestLoss - minDelta;
      if (improved) {
        state.bestLoss = watched;
        state.bestEpoch = epoch;
        state.wait = 0;
        if (restoreBest) keepBest();
      } else {
        state.wait += 1;
      }
      const seconds = (performance.now() - epochStart) / 1000;
      const log: EpochLog = { epoch, train: trainLosses, validation, seconds, samplesPerSecond: seen / seconds, improved };
      state.history.push(log);
      state.epoch = epoch;
      progress?.update(
        `epoch ${epoch}/${epochs}  train ${monitorName} ${trainLosses[monitor]?.toPrecision(4)}` +
          (validation === undefined ? '' : `  validation ${monitorName} ${validation[monitor]?.toPrecision(4)}`) +
          `  ${Math.round(log.samplesPerSecond).toLocaleString('en-US')} samples/s`,
        true,
      );
      if (options.checkpointDir !== undefined) {
        await saveCheckpoint(options.checkpointDir, {
          tensors: [
            ...weightTensors(model),
            ...optimizer.stateTensors().map((t) => ({ name: `optimizer/${t.name}`, tensor: t.tensor })),
            ...(best === undefined ? [] : snapshotVariables.map((v, i) => ({ name: `best/${v.name}`, tensor: (best as tf.Tensor[])[i] }))),
          ],
          meta: { kind: 'training', ...modelMeta(model), run: runMeta, optimizerStep: optimizer.step, trainer: state },
        });
      }
      await options.callbacks?.onEpochEnd?.(log);
      if (options.patience !== undefined && state.wait >= options.patience && epoch < epochs) {
        stoppedEarly = true;
        break;
      }
    }

    if (restoreBest && best !== undefined) {
      const snapshot = best;
      tf.tidy(() => snapshotVariables.forEach(({ variable }, i) => variable.assign(snapshot[i])));
    }
    const seconds = (performance.now() - started) / 1000;
    progress?.done(
      (startEpoch > epochs ? `nothing to train: the checkpoint is at epoch ${state.epoch} of ${epochs}` : `trained epochs ${startEpoch}-${state.epoch} of ${epochs} in ${formatDuration(seconds)}`) +
        (stoppedEarly ? ' (stopped early)' : '') +
        `; best ${options.validation === undefined ? 'train' : 'validation'} ${monitorName} ${state.bestLoss.toPrecision(4)} at epoch ${state.bestEpoch}`,
    );
    return {
      history: state.history,
      bestEpoch: state.bestEpoch,
      bestLoss: state.bestLoss,
      stoppedEarly,
      startEpoch,
      seconds,
      samplesPerSecond: samplesThisCall / Math.max(seconds, 1e-9),
    };
  } finally {
    best?.forEach((t) => t.dispose());
    optimizer.dispose();
  }
}
