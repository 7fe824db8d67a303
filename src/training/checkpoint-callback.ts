import * as tf from '@tensorflow/tfjs';
import type { EpochLog, TrainingCallback, TrainingContext } from './callbacks';
import type { CheckpointLock, LoadedCheckpoint, TrainingSetFingerprint } from './checkpoint';
import { hasCheckpoint, loadCheckpoint, lockCheckpointDir, saveCheckpoint, stableJson, trainingSetFingerprint } from './checkpoint';
import type { EarlyStopping, EarlyStoppingState } from './early-stopping';
import type { OptimizerConfig } from './optimizer';
import { assignFromCheckpoint, modelMeta, savedVariables, weightTensors } from './weights';

/** Options of `CheckpointCallback`. */
export interface CheckpointCallbackOptions {
  /** Folder of the checkpoint; locked for the run (`checkpoint.lock`, see `lockCheckpointDir`). */
  dir: string;
  /** Continue from the checkpoint in `dir` if there is one. Default true. */
  resume?: boolean;
  /** The run's early stopping, whose state and best weights the checkpoint keeps and restores. */
  earlyStopping: EarlyStopping;
}

/** The trainer state a training checkpoint stores under `meta.trainer`. */
interface TrainerState extends EarlyStoppingState {
  /** Last epoch trained. */
  epoch: number;
  /** One log per epoch trained, oldest first. */
  history: EpochLog[];
}

/** What a resumed run must share with the run that wrote the checkpoint, stored under `meta.run`. */
interface RunMeta {
  seed: number;
  batchSize: number;
  optimizer: Readonly<Required<OptimizerConfig>>;
  l2: number;
  trainSet: TrainingSetFingerprint;
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
 * The callback that saves a checkpoint after every epoch, atomically: the weights (model state
 * included), the optimiser's step and state, the early stopping's best weights and state, and the
 * history. At the start of a run it locks the folder (a second run on it while this one runs is an
 * error) and, with `resume`, continues from the checkpoint there: only a training checkpoint of a
 * run with the same seed, batchSize, optimizer settings (the configured learningRate included), l2
 * and training set (see `trainingSetFingerprint`) is resumed; any other is an error. It runs after
 * `EarlyStopping` (whose state it saves) and before user callbacks (so a crash in one of those
 * finds the epoch saved).
 */
export class CheckpointCallback implements TrainingCallback {
  readonly dir: string;
  readonly resume: boolean;
  private readonly earlyStopping: EarlyStopping;
  private lock: CheckpointLock | undefined;
  private run: RunMeta | undefined;

  constructor(options: CheckpointCallbackOptions) {
    if (typeof options.dir !== 'string' || options.dir === '') throw new Error(`checkpointDir must be a folder path, got ${JSON.stringify(options.dir)}`);
    this.dir = options.dir;
    this.resume = options.resume ?? true;
    this.earlyStopping = options.earlyStopping;
  }

  onTrainBegin(context: TrainingContext): void {
    const { settings, optimizer, model } = context;
    // One run per folder: a second run would overwrite this one's checkpoints and delete its data files.
    this.lock = lockCheckpointDir(this.dir);
    // The fingerprint is cheap; see trainingSetFingerprint.
    const run: RunMeta = { seed: settings.seed, batchSize: settings.batchSize, optimizer: optimizer.config, l2: settings.l2, trainSet: trainingSetFingerprint(settings.train) };
    this.run = run;
    if (!this.resume || !hasCheckpoint(this.dir)) return;
    const checkpoint = loadCheckpoint(this.dir);
    const trainer = savedTrainerState(checkpoint);
    const saved = checkpoint.meta.run as Partial<RunMeta> | null | undefined;
    const differs = [
      ...(saved?.seed === run.seed ? [] : ['seed']),
      ...(saved?.batchSize === run.batchSize ? [] : ['batchSize']),
      ...Object.entries(optimizer.config).flatMap(([key, value]) => (saved?.optimizer?.[key as keyof OptimizerConfig] === value ? [] : [key === 'name' ? 'optimizer' : key])),
      ...(saved?.l2 === run.l2 ? [] : ['l2']),
      ...(stableJson(saved?.trainSet ?? null) === stableJson(run.trainSet) ? [] : ['training set']),
    ];
    if (differs.length > 0) {
      throw new Error(
        `checkpoint ${checkpoint.source} was written by a run with ${JSON.stringify(saved ?? null)}; this run has seed ${run.seed}, batchSize ${run.batchSize}, optimizer ${optimizer.config.name}, ` +
          `learningRate ${optimizer.config.learningRate}, momentum ${optimizer.config.momentum}, l2 ${run.l2}, training set ${JSON.stringify(run.trainSet)} (differs in ${differs.join(', ')}). Use another checkpointDir or resume: false`,
      );
    }
    assignFromCheckpoint(checkpoint, model, 'weights/');
    const optimizerValues = new Map<string, { shape: readonly number[]; values: Float32Array }>();
    for (const [name, t] of checkpoint.tensors) if (name.startsWith('optimizer/')) optimizerValues.set(name.slice('optimizer/'.length), t);
    optimizer.loadState(checkpoint.meta.optimizerStep as number, optimizerValues, checkpoint.source);
    let best: tf.Tensor[] | undefined;
    if (this.earlyStopping.restoreBestWeights && trainer.bestEpoch > 0) {
      const variables = savedVariables(model);
      const missing = variables.find(({ name }) => !checkpoint.tensors.has(`best/${name}`));
      if (missing !== undefined) throw new Error(`checkpoint ${checkpoint.source} has no best weights for ${missing.name}`);
      best = variables.map(({ name, variable }) => tf.tensor((checkpoint.tensors.get(`best/${name}`) as { values: Float32Array }).values, variable.shape));
    }
    this.earlyStopping.restoreState(trainer, best);
    context.resume(trainer.history);
  }

  async onEpochEnd(log: EpochLog, context: TrainingContext): Promise<void> {
    const { model, optimizer } = context;
    const best = this.earlyStopping.bestWeights;
    const variables = savedVariables(model);
    const trainer: TrainerState = { epoch: log.epoch, history: [...context.history], ...this.earlyStopping.state };
    await saveCheckpoint(this.dir, {
      tensors: [
        ...weightTensors(model),
        ...optimizer.stateTensors().map((t) => ({ name: `optimizer/${t.name}`, tensor: t.tensor })),
        ...(best === undefined ? [] : variables.map((v, i) => ({ name: `best/${v.name}`, tensor: best[i] }))),
      ],
      meta: { kind: 'training', ...modelMeta(model), run: this.run, optimizerStep: optimizer.step, trainer },
    });
  }

  onTrainEnd(): void {
    this.lock?.release();
    this.lock = undefined;
  }
}
