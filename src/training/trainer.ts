import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { EventLoopYielder } from '../core/event-loop';
import type { BatchOptions, HostBatch } from '../data/batches';
import { batchCount, batchPlans } from '../data/batches';
import { featureSize } from '../data/dataset';
import type { BatchSource } from '../data/dataset-file';
import { batchesOf } from '../data/dataset-file';
import { kernelWeights, l2Penalty } from '../losses';
import type { LossTerms, TrainableModel, TrainBatch } from '../models/model';
import { inNotebook } from '../notebook/display';
import { formatDuration, formatTrainingProgress, ProgressLine } from '../notebook/progress';
import type { CheckpointLock, LoadedCheckpoint } from './checkpoint';
import { hasCheckpoint, loadCheckpoint, lockCheckpointDir, saveCheckpoint, stableJson, trainingSetFingerprint } from './checkpoint';
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

/**
 * Where `NonFiniteLossError` found the loss: a training batch's loss (`batch`), the validation
 * loss after an epoch (`validation`), or an epoch's mean training loss (`epoch`).
 */
export type NonFiniteLossStage = 'batch' | 'validation' | 'epoch';

/** A NaN or infinite input value: which example of its dataset, and where within the example. */
export interface NonFiniteInput {
  /** Position of the example in its dataset (the training or validation set), from 0. */
  example: number;
  /** Position of the value within the example, row-major over `featureShape`, from 0. */
  position: number;
  value: number;
}

/** What `NonFiniteLossError` knows besides the epoch, batch, term and value. */
export interface NonFiniteLossDetails {
  /** Default `batch`. */
  stage?: NonFiniteLossStage;
  /** The first NaN/Inf of the inputs behind the loss, when they hold one: then the data is at fault, not the learning rate. */
  input?: NonFiniteInput;
  /** For `validation` and `epoch`: the epoch whose weights were kept as the best so far (and are not restored); 0 or absent when none are kept. */
  bestEpoch?: number;
}

/**
 * Raised when a loss becomes NaN or infinite; names the epoch, the batch (for `validation` and
 * `epoch`, the epoch's last batch), the term, which weights the model holds, and a NaN/Inf in the
 * inputs when there is one.
 */
export class NonFiniteLossError extends Error {
  readonly stage: NonFiniteLossStage;
  readonly input?: NonFiniteInput;

  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly term: string,
    readonly value: number,
    details: NonFiniteLossDetails = {},
  ) {
    super(nonFiniteLossMessage(epoch, batch, term, value, details));
    this.name = 'NonFiniteLossError';
    this.stage = details.stage ?? 'batch';
    this.input = details.input;
  }
}

function nonFiniteLossMessage(epoch: number, batch: number, term: string, value: number, details: NonFiniteLossDetails): string {
  const stage = details.stage ?? 'batch';
  const set = stage === 'validation' ? 'validation' : 'training';
  const input = details.input;
  const dataFault =
    input === undefined
      ? undefined
      : `the ${set} data hold ${input.value} (${set} example ${input.example}, value ${input.position} of that example), so this is not a learning-rate problem: remove or repair that example`;
  if (stage === 'batch') {
    return dataFault === undefined
      ? `loss term "${term}" is ${value} at epoch ${epoch}, batch ${batch}: training stopped (weights are those before this batch; the batch's inputs are finite, so the updates diverged: try a lower learningRate)`
      : `loss term "${term}" is ${value} at epoch ${epoch}, batch ${batch}: ${dataFault}. Training stopped (weights are those before this batch)`;
  }
  const best = details.bestEpoch ?? 0;
  const weights = `the model holds the weights after epoch ${epoch}'s updates${best > 0 ? `, not the best ones of epoch ${best}` : ''}`;
  const what = stage === 'validation' ? `validation loss term "${term}" is ${value} after epoch ${epoch}` : `mean training loss term "${term}" over epoch ${epoch} is ${value}`;
  const cause = dataFault ?? (stage === 'validation' ? `every training batch's loss was finite; try a lower learningRate` : `every batch's loss was finite, their sum overflowed`);
  return `${what}: ${cause}. Training stopped (${weights})`;
}

/** The first NaN or infinite value of `x` (examples of `size` values, row-major), with its example within `x`; undefined when all are finite. */
function firstNonFinite(x: Float32Array, size: number): NonFiniteInput | undefined {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return { example: Math.floor(i / size), position: i % size, value: x[i] };
  }
  return undefined;
}

/** The first NaN/Inf input of training batch `hb` (of the epoch `options` describe), with the example's position in `source`. */
function nonFiniteInBatch(source: BatchSource, hb: HostBatch, options: BatchOptions): NonFiniteInput | undefined {
  const found = firstNonFinite(hb.x, featureSize(source));
  if (found === undefined) return undefined;
  for (const plan of batchPlans(source.count, options)) {
    if (plan.index === hb.index) return { ...found, example: plan.positions?.[found.example] ?? plan.start + found.example };
  }
  return found;
}

/** The first NaN/Inf input of `source`, read in order. */
function nonFiniteInSource(source: BatchSource, batchSize: number): NonFiniteInput | undefined {
  for (const hb of batchesOf(source, { batchSize, shuffle: false })) {
    const found = firstNonFinite(hb.x, featureSize(source));
    if (found !== undefined) return { ...found, example: hb.index * batchSize + found.example };
  }
  return undefined;
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

interface TrainerState {
  epoch: number;
  history: EpochLog[];
  bestEpoch: number;
  bestLoss: number;
  wait: number;
}

/**
 * The trainer state of a training checkpoint. A checkpoint without one (weights only, from
 * `saveWeights`, or written by hand) is refused: resuming it would restart at epoch 1 with trained weights.
 */
function savedTrainerState(checkpoint: LoadedCheckpoint): TrainerState {
  const { meta, source } = checkpoint;
  const saved = meta.trainer as Partial<TrainerState> | null | undefined;
  const epoch = saved?.epoch ?? 0;
  const valid =
    meta.kind === 'training' &&
    Number.isSafeInteger(epoch) &&
    epoch >= 1 &&
    Array.isArray(saved?.history) &&
    saved.history.length === epoch &&
    Number.isSafeInteger(saved.bestEpoch) &&
    typeof saved.bestLoss === 'number' &&
    Number.isSafeInteger(saved.wait);
  if (!valid) {
    throw new Error(
      `checkpoint ${source} holds no trainer state (kind ${JSON.stringify(meta.kind) ?? 'missing'}, trainer ${JSON.stringify(meta.trainer)?.slice(0, 80) ?? 'missing'}), so it cannot be resumed without restarting at epoch 1 on trained weights. ` +
        'Use another checkpointDir, or resume: false to start afresh (it overwrites this checkpoint); to start from these weights, loadWeights them first',
    );
  }
  return saved as TrainerState;
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
  checkClasses(model, options.train, 'training set');
  if (options.validation !== undefined) checkClasses(model, options.validation, 'validation set');
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
  let lock: CheckpointLock | undefined;
  let best: tf.Tensor[] | undefined;
  const snapshotVariables = savedVariables(model);
  const state: TrainerState = { epoch: 0, history: [], bestEpoch: 0, bestLoss: Number.POSITIVE_INFINITY, wait: 0 };
  const keepBest = () => {
    best?.forEach((t) => t.dispose());
    best = snapshotVariables.map(({ variable }) => tf.keep(variable.clone()));
  };

  try {
    // One run per folder: a second run would overwrite this one's checkpoints and delete its data files.
    lock = options.checkpointDir === undefined ? undefined : lockCheckpointDir(options.checkpointDir);
    // What a resumed run must share with the run that wrote the checkpoint (the fingerprint is cheap; see trainingSetFingerprint).
    const runMeta = { seed, batchSize, optimizer: optimizer.config, l2, trainSet: options.checkpointDir === undefined ? undefined : trainingSetFingerprint(options.train) };
    if (options.checkpointDir !== undefined && (options.resume ?? true) && hasCheckpoint(options.checkpointDir)) {
      const checkpoint = loadCheckpoint(options.checkpointDir);
      const trainer = savedTrainerState(checkpoint);
      const saved = checkpoint.meta.run as Partial<typeof runMeta> | null | undefined;
      const differs = [
        ...(saved?.seed === seed ? [] : ['seed']),
        ...(saved?.batchSize === batchSize ? [] : ['batchSize']),
        ...Object.entries(optimizer.config).flatMap(([key, value]) => (saved?.optimizer?.[key as keyof typeof optimizer.config] === value ? [] : [key === 'name' ? 'optimizer' : key])),
        ...(saved?.l2 === l2 ? [] : ['l2']),
        ...(stableJson(saved?.trainSet ?? null) === stableJson(runMeta.trainSet) ? [] : ['training set']),
      ];
      if (differs.length > 0) {
        throw new Error(
          `checkpoint ${checkpoint.source} was written by a run with ${JSON.stringify(saved ?? null)}; this run has seed ${seed}, batchSize ${batchSize}, optimizer ${optimizer.config.name}, ` +
            `learningRate ${optimizer.config.learningRate}, momentum ${optimizer.config.momentum}, l2 ${l2}, training set ${JSON.stringify(runMeta.trainSet)} (differs in ${differs.join(', ')}). Use another checkpointDir or resume: false`,
        );
      }
      assignFromCheckpoint(checkpoint, model, 'weights/');
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
        let step: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
        let losses: LossValues;
        // Whatever throws (computeLoss, a NaN loss, the update), the batch and the step's tensors are freed.
        try {
          step = tf.variableGrads(() => {
            const terms = regularizedLoss(model, batch, true, l2, optimizer.step);
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
              throw new NonFiniteLossError(epoch, hb.index + 1, term, v, { input: nonFiniteInBatch(options.train, hb, { batchSize, seed, epoch }) });
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
      if (!Number.isFinite(watched)) {
        // The epoch's updates are applied and the best weights are not put back: say so, and look for a NaN/Inf in the validation data.
        const bestEpoch = restoreBest && best !== undefined ? state.bestEpoch : 0;
        throw options.validation === undefined
          ? new NonFiniteLossError(epoch, batchesPerEpoch, monitor, watched, { stage: 'epoch', bestEpoch })
          : new NonFiniteLossError(epoch, batchesPerEpoch, monitor, watched, {
              stage: 'validation',
              bestEpoch,
              input: nonFiniteInSource(options.validation, options.evaluationBatchSize ?? 1024),
            });
      }
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
    lock?.release();
    best?.forEach((t) => t.dispose());
    optimizer.dispose();
  }
}
