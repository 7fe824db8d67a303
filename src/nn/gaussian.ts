import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { nativeGaussianKl, nativeReparameterize } from '../kernels/native/fused-ops';
import type { DenseLayer } from './dense';
import { applyDense, createDense } from './dense';
import type { ApplyOptions, Network } from './network';
import { collectVariables, traceSummary } from './network';
import type { NamedVariable, ParameterScope } from './params';

/** A diagonal Gaussian per example: `mean` and `logVar` (log-variance), each `[batch, dim]`. */
export interface Gaussian {
  readonly mean: tf.Tensor2D;
  readonly logVar: tf.Tensor2D;
}

/**
 * Two linear layers, `mean` and `logVar`, from features `[batch, inputDim]` to the parameters of
 * a diagonal Gaussian `[batch, latentDim]`: a VAE's encoder head (Kingma and Welling 2014).
 */
export class GaussianHead implements Network<tf.Tensor2D, Gaussian> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  readonly inputDim: number;
  readonly latentDim: number;
  private readonly mean: DenseLayer;
  private readonly logVar: DenseLayer;

  /** Makes `scope/mean` then `scope/logVar`. */
  constructor(parent: ParameterScope, config: { inputDim: number; latentDim: number }) {
    this.inputDim = checkPositiveInt(config.inputDim, 'inputDim');
    this.latentDim = checkPositiveInt(config.latentDim, 'latentDim');
    const spec = { inputDim: this.inputDim, outputDim: this.latentDim, activation: 'linear' } as const;
    const scope = parent.group();
    this.mean = createDense(scope.child('mean'), spec);
    this.logVar = createDense(scope.child('logVar'), spec);
    this.name = scope.path;
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  apply(h: tf.Tensor2D, options: ApplyOptions = {}): Gaussian {
    if (h.rank !== 2 || h.shape[1] !== this.inputDim) throw new Error(`${this.name} Gaussian head: expected features [batch, ${this.inputDim}], got [${h.shape.join(', ')}]`);
    const mean = applyDense(this.mean, h);
    options.trace?.(`${this.name}/mean`, 'Dense linear', mean, [this.mean.weight, this.mean.bias]);
    const logVar = applyDense(this.logVar, h);
    options.trace?.(`${this.name}/logVar`, 'Dense linear', logVar, [this.logVar.weight, this.logVar.bias]);
    return { mean, logVar };
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, this.inputDim]), { trace }));
  }
}

/** A trunk (any network giving features `[batch, d]`) followed by a `GaussianHead`: the encoder q(z|x) of a VAE. */
export class GaussianEncoder<In extends tf.Tensor = tf.Tensor> implements Network<In, Gaussian> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];

  constructor(
    readonly trunk: Network<In, tf.Tensor2D>,
    readonly head: GaussianHead,
  ) {
    const { trainable, state } = collectVariables([trunk, head]);
    this.variables = trainable;
    this.stateVariables = state;
    this.name = trunk.name;
  }

  get latentDim(): number {
    return this.head.latentDim;
  }

  apply(x: In, options: ApplyOptions = {}): Gaussian {
    const [mean, logVar] = tf.tidy(() => {
      const q = this.head.apply(this.trunk.apply(x, options), options);
      return [q.mean, q.logVar];
    });
    return { mean: mean as tf.Tensor2D, logVar: logVar as tf.Tensor2D };
  }

  summary() {
    return [...this.trunk.summary(), ...this.head.summary()];
  }
}

/** The reparameterised sample `mean + exp(logVar / 2) * eps` (eps `[batch, dim]` standard normal): differentiable in mean and logVar. */
export function reparameterize(q: Gaussian, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => nativeReparameterize(q.mean, q.logVar, eps) ?? q.mean.add(q.logVar.mul(0.5).exp().mul(eps)));
}

/** KL(N(mean, exp(logVar)) || N(0, I)) per example, summed over dimensions, batch-mean: -1/2 sum(1 + logVar - mean^2 - exp(logVar)), in closed form. */
export function standardNormalKl(q: Gaussian): tf.Scalar {
  return tf.tidy(() => standardNormalKlPerExample(q).mean()) as tf.Scalar;
}

/** KL(N(mean, exp(logVar)) || N(0, I)) of each example, summed over dimensions: `[batch]`. */
export function standardNormalKlPerExample(q: Gaussian): tf.Tensor1D {
  return tf.tidy(() => nativeGaussianKl(q.mean, q.logVar) ?? q.logVar.add(1).sub(q.mean.square()).sub(q.logVar.exp()).sum(1).mul(-0.5)) as tf.Tensor1D;
}
