import * as tf from '@tensorflow/tfjs';
import { nativeAdam } from '../kernels/native/fused-ops';
import type { NamedVariable } from '../nn/params';

/** Optimisers the trainer offers. */
export type OptimizerName = 'sgd' | 'adagrad' | 'adam' | 'adamax';

/** Every optimiser name, for validating configs. */
export const optimizerNames: readonly OptimizerName[] = ['sgd', 'adagrad', 'adam', 'adamax'];

/** Settings of an optimiser. */
export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  /** Decay of the first moment (Adam, Adamax). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment (Adam) or of the infinity norm (Adamax). Default 0.999. */
  beta2?: number;
  /** Added to the denominator (Adam, Adamax, Adagrad). Default 1e-7 (as TF.js and Keras). */
  epsilon?: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
  /** Adagrad's starting value of the accumulated squared gradients. Default 0.1 (as Keras and TF.js). */
  initialAccumulatorValue?: number;
}

/** A tensor of optimiser state with its name, e.g. `encoder/0/w/m`. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** A non-trainable variable shaped like `like`, filled with `value` (the initial tensor is freed: the variable holds its own reference). */
function slotLike(like: tf.Variable, value: number): tf.Variable {
  const filled = tf.fill(like.shape, value);
  const slot = tf.variable(filled, false);
  filled.dispose();
  return slot;
}

/** The state each optimiser keeps per variable, by slot name. */
function slotNames(config: Required<OptimizerConfig>): string[] {
  switch (config.name) {
    case 'sgd':
      return config.momentum > 0 ? ['m'] : [];
    case 'adagrad':
      return ['accumulator'];
    case 'adam':
      return ['m', 'v'];
    case 'adamax':
      return ['m', 'u'];
  }
}

function checkNonNegative(value: number, field: string, below?: number): void {
  if (!Number.isFinite(value) || value < 0 || (below !== undefined && value >= below)) {
    throw new Error(`${field} must be a number in [0, ${below ?? 'infinity'}), got ${value}`);
  }
}

/**
 * Gradient descent over named variables, with state that can be saved and restored exactly (the
 * step count and the slot tensors per variable). For a gradient g and learning rate r:
 * - `sgd`: w -= r m with m = momentum m + g (plain w -= r g without momentum);
 * - `adagrad` (Duchi et al. 2011): a += g^2; w -= r g / (sqrt(a) + epsilon);
 * - `adam` (Kingma and Ba 2015): m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 *   w -= r sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + epsilon);
 * - `adamax` (the same paper, section 7.1): m as Adam, u = max(b2 u, |g|),
 *   w -= r / (1 - b1^t) m / (u + epsilon).
 */
export class Optimizer {
  readonly config: Readonly<Required<OptimizerConfig>>;
  /** Number of updates applied so far. */
  step = 0;
  private rate: number;
  private readonly slots: { name: string; variable: tf.Variable; scale: number; state: Record<string, tf.Variable> }[];

  /**
   * `scales` multiplies the learning rate of the variables it names (by `NamedVariable.name`;
   * default 1 for the rest): fine-tuning a pretrained encoder at a tenth of the new layers' rate,
   * say. A name that is not among `variables`, or a factor that is not a finite number > 0, is an error.
   */
  constructor(variables: readonly NamedVariable[], config: OptimizerConfig, scales: ReadonlyMap<string, number> = new Map()) {
    if (!(optimizerNames as readonly string[]).includes(config.name)) {
      throw new Error(`optimizer must be one of ${optimizerNames.join('|')}, got "${String(config.name)}"`);
    }
    if (!(config.learningRate > 0) || !Number.isFinite(config.learningRate)) {
      throw new Error(`learningRate must be a positive number, got ${config.learningRate}`);
    }
    // `??` per field: a field given as undefined takes its default too.
    const full: Required<OptimizerConfig> = {
      name: config.name,
      learningRate: config.learningRate,
      beta1: config.beta1 ?? 0.9,
      beta2: config.beta2 ?? 0.999,
      epsilon: config.epsilon ?? 1e-7,
      momentum: config.momentum ?? 0,
      initialAccumulatorValue: config.initialAccumulatorValue ?? 0.1,
    };
    checkNonNegative(full.beta1, 'beta1', 1);
    checkNonNegative(full.beta2, 'beta2', 1);
    checkNonNegative(full.epsilon, 'epsilon');
    checkNonNegative(full.momentum, 'momentum', 1);
    checkNonNegative(full.initialAccumulatorValue, 'initialAccumulatorValue');
    this.config = full;
    this.rate = full.learningRate;
    const names = slotNames(full);
    const known = new Set(variables.map((v) => v.name));
    for (const [name, factor] of scales) {
      if (!known.has(name)) throw new Error(`a learning-rate scale names "${name}", which is not one of the variables being trained`);
      if (typeof factor !== 'number' || !(factor > 0) || !Number.isFinite(factor)) throw new Error(`the learning-rate scale of "${name}" must be a finite number > 0, got ${String(factor)}`);
    }
    this.slots = variables.map(({ name, variable }) => ({
      name,
      variable,
      scale: scales.get(name) ?? 1,
      state: Object.fromEntries(names.map((slot) => [slot, slotLike(variable, slot === 'accumulator' ? full.initialAccumulatorValue : 0)])),
    }));
  }

  /**
   * Learning rate of the next updates: `config.learningRate` until set (a schedule sets it each
   * epoch; 0 pauses the updates of the weights, not of Adam's or Adagrad's statistics). It is not
   * part of `config` nor of the saved state, so a checkpoint records and compares the configured rate.
   */
  get learningRate(): number {
    return this.rate;
  }

  set learningRate(rate: number) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) throw new Error(`learningRate must be a finite number >= 0, got ${String(rate)}`);
    this.rate = rate;
  }

  /** Applies one update from `grads` (one gradient per variable, keyed by TF.js variable name). */
  apply(grads: tf.NamedTensorMap): void {
    this.step += 1;
    const { name, beta1, beta2, epsilon, momentum } = this.config;
    const baseRate = this.rate;
    // Bias corrections are computed on the host from the exact step count, so a restored step
    // gives the same numbers as an uninterrupted run.
    const adamBase = (baseRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    // The native backend runs Adam for every variable in one kernel call, in place, instead of
    // about a dozen kernels per variable, each allocating its result.
    if (name === 'adam') {
      const updates = this.slots.flatMap(({ variable, state, scale }) => {
        const gradient = grads[variable.name];
        return gradient === undefined ? [] : [{ variable, m: state.m, v: state.v, gradient, rate: adamBase * scale }];
      });
      if (nativeAdam(updates, beta1, beta2, epsilon)) return;
    }
    tf.tidy(() => {
      for (const { variable, state, scale } of this.slots) {
        const g = grads[variable.name];
        if (g === undefined) continue;
        const learningRate = baseRate * scale;
        const adamRate = adamBase * scale;
        if (name === 'adam') {
          const m = state.m.mul(beta1).add(g.mul(1 - beta1));
          const v = state.v.mul(beta2).add(g.square().mul(1 - beta2));
          state.m.assign(m);
          state.v.assign(v);
          variable.assign(variable.sub(m.mul(adamRate).div(v.sqrt().add(epsilon))));
        } else if (name === 'adamax') {
          const m = state.m.mul(beta1).add(g.mul(1 - beta1));
          const u = tf.maximum(state.u.mul(beta2), g.abs());
          state.m.assign(m);
          state.u.assign(u);
          variable.assign(variable.sub(m.mul(learningRate / (1 - beta1 ** this.step)).div(u.add(epsilon))));
        } else if (name === 'adagrad') {
          const a = state.accumulator.add(g.square());
          state.accumulator.assign(a);
          variable.assign(variable.sub(g.mul(learningRate).div(a.sqrt().add(epsilon))));
        } else if (momentum > 0) {
          const m = state.m.mul(momentum).add(g);
          state.m.assign(m);
          variable.assign(variable.sub(m.mul(learningRate)));
        } else {
          variable.assign(variable.sub(g.mul(learningRate)));
        }
      }
    });
  }

  /** The slot tensors, named `<variable>/<slot>` (not copies: read them before the next update). */
  stateTensors(): NamedTensor[] {
    return this.slots.flatMap((s) => Object.entries(s.state).map(([slot, tensor]) => ({ name: `${s.name}/${slot}`, tensor })));
  }

  /** Restores slots and step from saved values; a missing slot or a wrong shape is an error. */
  loadState(step: number, values: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>, source: string): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new Error(`${source}: optimizer step must be a count, got ${step}`);
    for (const { name, tensor } of this.stateTensors()) {
      const saved = values.get(name);
      if (saved === undefined) throw new Error(`${source}: optimizer state has no slot ${name}`);
      if (saved.shape.join(',') !== tensor.shape.join(',')) {
        throw new Error(`${source}: optimizer slot ${name} has shape [${saved.shape.join(', ')}], the model needs [${tensor.shape.join(', ')}]`);
      }
      tf.tidy(() => (tensor as tf.Variable).assign(tf.tensor(saved.values, tensor.shape)));
    }
    this.step = step;
  }

  /** Frees the slots. */
  dispose(): void {
    for (const s of this.slots) for (const slot of Object.values(s.state)) slot.dispose();
  }
}
