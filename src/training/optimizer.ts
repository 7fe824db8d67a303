import * as tf from '@tensorflow/tfjs';
import { adamKernelName } from '../kernels/native-kernels';
import type { NamedVariable } from '../nn/dense';

/** Optimisers the trainer offers. */
export type OptimizerName = 'adam' | 'sgd';

/** Settings of an optimiser. */
export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  /** Adam's decay of the first moment. Default 0.9. */
  beta1?: number;
  /** Adam's decay of the second moment. Default 0.999. */
  beta2?: number;
  /** Adam's epsilon. Default 1e-7 (as TF.js and Keras). */
  epsilon?: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
}

/** A tensor of optimiser state with its name, e.g. `encoder/0/w/m`. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** A non-trainable variable of zeros shaped like `like` (the initial tensor is freed: the variable holds its own reference). */
function zeroSlot(like: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(like);
  const slot = tf.variable(zeros, false);
  zeros.dispose();
  return slot;
}

/**
 * Adam (Kingma and Ba 2015) or SGD with momentum over named variables, with state that can be
 * saved and restored exactly: the step count and one or two slot tensors per variable.
 */
export class Optimizer {
  readonly config: Readonly<Required<OptimizerConfig>>;
  /** Number of updates applied so far. */
  step = 0;
  private readonly slots: { name: string; variable: tf.Variable; m?: tf.Variable; v?: tf.Variable }[];

  constructor(variables: readonly NamedVariable[], config: OptimizerConfig) {
    if (config.name !== 'adam' && config.name !== 'sgd') throw new Error(`optimizer must be adam|sgd, got "${String(config.name)}"`);
    if (!(config.learningRate > 0) || !Number.isFinite(config.learningRate)) {
      throw new Error(`learningRate must be a positive number, got ${config.learningRate}`);
    }
    this.config = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0, ...config };
    const adam = config.name === 'adam';
    const withMomentum = !adam && this.config.momentum > 0;
    this.slots = variables.map(({ name, variable }) => ({
      name,
      variable,
      m: adam || withMomentum ? zeroSlot(variable) : undefined,
      v: adam ? zeroSlot(variable) : undefined,
    }));
  }

  /** Applies one update from `grads` (one gradient per variable, keyed by TF.js variable name). */
  apply(grads: tf.NamedTensorMap): void {
    this.step += 1;
    const { name, learningRate, beta1, beta2, epsilon, momentum } = this.config;
    // Bias corrections are computed on the host from the exact step count, so a restored step
    // gives the same numbers as an uninterrupted run.
    const rate = name === 'adam' ? (learningRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step) : learningRate;
    // The native backend has Adam as one kernel: one pass and three outputs per variable instead
    // of about a dozen kernels, each allocating its result.
    const fusedAdam = name === 'adam' && tf.getKernel(adamKernelName, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const slot of this.slots) {
        const g = grads[slot.variable.name];
        if (g === undefined) continue;
        if (fusedAdam && slot.m !== undefined && slot.v !== undefined) {
          const inputs = { variable: slot.variable, m: slot.m, v: slot.v, gradient: g };
          const [variable, m, v] = tf.engine().runKernel(adamKernelName, inputs, { rate, beta1, beta2, epsilon }) as tf.Tensor[];
          slot.m.assign(m);
          slot.v.assign(v);
          slot.variable.assign(variable);
        } else if (name === 'adam' && slot.m !== undefined && slot.v !== undefined) {
          const m = slot.m.mul(beta1).add(g.mul(1 - beta1));
          const v = slot.v.mul(beta2).add(g.square().mul(1 - beta2));
          slot.m.assign(m);
          slot.v.assign(v);
          slot.variable.assign(slot.variable.sub(m.mul(rate).div(v.sqrt().add(epsilon))));
        } else if (slot.m !== undefined) {
          const m = slot.m.mul(momentum).add(g);
          slot.m.assign(m);
          slot.variable.assign(slot.variable.sub(m.mul(rate)));
        } else {
          slot.variable.assign(slot.variable.sub(g.mul(rate)));
        }
      }
    });
  }

  /** The slot tensors (not copies: read them before the next update). */
  stateTensors(): NamedTensor[] {
    return this.slots.flatMap((s) => [
      ...(s.m === undefined ? [] : [{ name: `${s.name}/m`, tensor: s.m }]),
      ...(s.v === undefined ? [] : [{ name: `${s.name}/v`, tensor: s.v }]),
    ]);
  }

  /** Restores slots and step from saved values; a missing slot or a wrong shape is an error. */
  loadState(step: number, values: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>, source: string): void {
    for (const { name, tensor } of this.stateTensors()) {
      const saved = values.get(name);
      if (saved === undefined) throw new Error(`${source}: optimizer state has no slot ${name}`);
      if (saved.shape.join(',') !== tensor.shape.join(',')) {
        throw new Error(`${source}: optimizer slot ${name} has shape [${saved.shape.join(', ')}], the model needs [${tensor.shape.join(', ')}]`);
      }
      (tensor as tf.Variable).assign(tf.tensor(saved.values, tensor.shape));
    }
    this.step = step;
  }

  /** Frees the slots. */
  dispose(): void {
    for (const s of this.slots) {
      s.m?.dispose();
      s.v?.dispose();
    }
  }
}
