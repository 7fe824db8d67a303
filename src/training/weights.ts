import * as tf from '@tensorflow/tfjs';
import type { TrainableModel } from '../models/model';
import type { NamedVariable } from '../nn/params';
import type { LoadedCheckpoint } from './checkpoint';
import { loadCheckpoint, saveCheckpoint, stableJson } from './checkpoint';

/**
 * Every variable a checkpoint holds for `model`: the trained ones, then its state (e.g. batch-norm
 * running statistics), which the optimiser leaves alone but the model needs at inference.
 */
export function savedVariables(model: TrainableModel): readonly NamedVariable[] {
  return model.stateVariables === undefined ? model.namedVariables : [...model.namedVariables, ...model.stateVariables];
}

/** The model's identity as stored in checkpoints. */
export function modelMeta(model: TrainableModel): { model: string; config: unknown } {
  return { model: model.name, config: JSON.parse(stableJson(model.config)) as unknown };
}

/**
 * Checks that `checkpoint` was written for a model of the same kind and config as `model`, and
 * that the tensors under `prefix` are exactly the model's variables with the same shapes.
 */
export function checkMatchesModel(checkpoint: LoadedCheckpoint, model: TrainableModel, prefix: string): void {
  const { source, meta } = checkpoint;
  if (meta.model !== model.name) {
    throw new Error(`checkpoint ${source} holds a ${String(meta.model)}, not a ${model.name}`);
  }
  const saved = stableJson(meta.config);
  const wanted = stableJson(model.config);
  if (saved !== wanted) {
    throw new Error(`checkpoint ${source} was written for config ${saved}, this model has config ${wanted}`);
  }
  const variables = savedVariables(model);
  const names = new Set(variables.map((v) => `${prefix}${v.name}`));
  for (const { name, variable } of variables) {
    const t = checkpoint.tensors.get(`${prefix}${name}`);
    if (t === undefined) throw new Error(`checkpoint ${source} has no variable ${name}`);
    if (t.shape.join(',') !== variable.shape.join(',')) {
      throw new Error(`checkpoint ${source}: variable ${name} has shape [${t.shape.join(', ')}], the model needs [${variable.shape.join(', ')}]`);
    }
  }
  for (const name of checkpoint.tensors.keys()) {
    if (name.startsWith(prefix) && !names.has(name)) throw new Error(`checkpoint ${source} has a variable ${name.slice(prefix.length)} the model lacks`);
  }
}

/** Assigns the model's variables from the tensors under `prefix` (after `checkMatchesModel`). */
export function assignFromCheckpoint(checkpoint: LoadedCheckpoint, model: TrainableModel, prefix: string): void {
  checkMatchesModel(checkpoint, model, prefix);
  tf.tidy(() => {
    for (const { name, variable } of savedVariables(model)) {
      const t = checkpoint.tensors.get(`${prefix}${name}`);
      if (t !== undefined) variable.assign(tf.tensor(t.values, variable.shape));
    }
  });
}

/** The model's variables named as checkpoints store them (`weights/<name>`), which `loadWeights` reads. */
export function weightTensors(model: TrainableModel): { name: string; tensor: tf.Tensor }[] {
  return savedVariables(model).map((v) => ({ name: `weights/${v.name}`, tensor: v.variable }));
}

/** Saves the model's weights, kind and config to `dir` (atomically; see `saveCheckpoint`). */
export async function saveWeights(model: TrainableModel, dir: string): Promise<void> {
  await saveCheckpoint(dir, {
    tensors: weightTensors(model),
    meta: { kind: 'weights', ...modelMeta(model) },
  });
}

/** Loads weights saved by `saveWeights` (or a trainer checkpoint) into `model`; a mismatch is an error naming it. */
export function loadWeights(model: TrainableModel, dir: string): void {
  assignFromCheckpoint(loadCheckpoint(dir), model, 'weights/');
}

/**
 * Copies every variable of `from` (weights and state) into `to`, a model of the same kind and
 * config (e.g. a second autoencoder built with the same settings, to fine-tune one copy and keep
 * the other); a different kind, config or variable list is an error naming it.
 */
export function copyWeights(from: TrainableModel, to: TrainableModel): void {
  if (from.name !== to.name || stableJson(from.config) !== stableJson(to.config)) {
    throw new Error(`copyWeights: ${from.name} ${stableJson(from.config)} and ${to.name} ${stableJson(to.config)} differ in kind or config`);
  }
  const source = new Map(savedVariables(from).map((v) => [v.name, v.variable]));
  const target = savedVariables(to);
  if (target.length !== source.size || target.some((v) => source.get(v.name)?.shape.join(',') !== v.variable.shape.join(','))) {
    throw new Error('copyWeights: the two models do not have the same variables (names and shapes)');
  }
  tf.tidy(() => {
    for (const { name, variable } of target) variable.assign(source.get(name)!);
  });
}
