import * as tf from '@tensorflow/tfjs';
import type { ParameterScope } from './params';

/**
 * Batch normalisation (Ioffe and Szegedy, 2015) over the last axis (channels): in training each
 * channel is normalised with the mean and variance of the batch (over every other axis: batch and
 * length for signals, as PyTorch's BatchNorm1d), then scaled by `gamma` and shifted by `beta`;
 * running averages of those statistics are kept for inference.
 */
export interface BatchNormLayer {
  /** Scale `[channels]`, trained; starts at 1. */
  readonly gamma: tf.Variable;
  /** Shift `[channels]`, trained; starts at 0. */
  readonly beta: tf.Variable;
  /** Running mean `[channels]`, not trained: updated by each training call. */
  readonly movingMean: tf.Variable;
  /** Running (unbiased) variance `[channels]`, not trained. */
  readonly movingVariance: tf.Variable;
  /** Weight of the new batch in the running averages (PyTorch's momentum). */
  readonly momentum: number;
  readonly epsilon: number;
}

/**
 * A batch-norm layer for `channels` made in `scope`: `gamma` and `beta` are trainable
 * (`scope/gamma`, `scope/beta`, so weight decay, which takes `/w`, leaves them alone), the running
 * statistics (`scope/moving_mean`, `scope/moving_variance`) are state. Defaults as PyTorch:
 * momentum 0.1, epsilon 1e-5.
 */
export function createBatchNorm(scope: ParameterScope, channels: number, options: { momentum?: number; epsilon?: number } = {}): BatchNormLayer {
  const momentum = options.momentum ?? 0.1;
  const epsilon = options.epsilon ?? 1e-5;
  if (!(momentum > 0 && momentum <= 1)) throw new Error(`batch norm momentum must be in (0, 1], got ${momentum}`);
  if (!(epsilon > 0)) throw new Error(`batch norm epsilon must be > 0, got ${epsilon}`);
  const gamma = scope.addWeight('gamma', [channels], { kind: 'ones' });
  const beta = scope.addWeight('beta', [channels], { kind: 'zeros' });
  const movingMean = scope.addWeight('moving_mean', [channels], { kind: 'zeros' }, { trainable: false });
  const movingVariance = scope.addWeight('moving_variance', [channels], { kind: 'ones' }, { trainable: false });
  return { gamma, beta, movingMean, movingVariance, momentum, epsilon };
}

/**
 * Applies `layer` to `x` `[..., channels]`. `training: true` normalises with the batch's
 * statistics (biased variance) and moves the running ones toward them (unbiased variance, as
 * PyTorch); `false` normalises with the running statistics and changes nothing.
 */
export function applyBatchNorm<T extends tf.Tensor>(layer: BatchNormLayer, x: T, training: boolean): T {
  const channels = layer.gamma.shape[0];
  if (x.shape[x.rank - 1] !== channels) throw new Error(`batch norm for ${channels} channels got x [${x.shape.join(', ')}]`);
  return tf.tidy(() => {
    if (!training) return tf.batchNorm(x, layer.movingMean, layer.movingVariance, layer.beta, layer.gamma, layer.epsilon) as T;
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const n = x.size / channels;
    const m = layer.momentum;
    layer.movingMean.assign(layer.movingMean.mul(1 - m).add(mean.mul(m)));
    layer.movingVariance.assign(layer.movingVariance.mul(1 - m).add(variance.mul((m * n) / Math.max(n - 1, 1))));
    return x.sub(mean).div(variance.add(layer.epsilon).sqrt()).mul(layer.gamma).add(layer.beta) as T;
  });
}
