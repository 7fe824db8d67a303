import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from './nn/dense';

/**
 * Binary cross-entropy of targets `x` in [0, 1] against logits `l` (the decoder's output before its
 * sigmoid), computed stably as max(l, 0) - l x + log(1 + exp(-|l|)).
 * Reduction: sum over features, mean over the batch. Shapes: both `[batch, features]`. Returns a scalar.
 */
export function binaryCrossEntropyWithLogits(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const perValue = tf.relu(logits).sub(logits.mul(x)).add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return perValue.sum(1).mean() as tf.Scalar;
  });
}

/**
 * Squared error between `x` and its reconstruction `xHat`: sum over features of (x - xHat)^2.
 * Reduction: sum over features, mean over the batch. Shapes: both `[batch, features]`. Returns a scalar.
 */
export function sumSquaredError(x: tf.Tensor2D, xHat: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.squaredDifference(x, xHat).sum(1).mean() as tf.Scalar);
}

/**
 * Cross-entropy of integer class `labels` `[batch]` under `logits` `[batch, classes]`:
 * -log softmax(logits)[label]. Reduction: mean over the batch. Returns a scalar.
 */
export function softmaxCrossEntropy(labels: tf.Tensor1D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const oneHot = tf.oneHot(labels.toInt(), classes).toFloat();
    return tf.neg(oneHot.mul(tf.logSoftmax(logits)).sum(1)).mean() as tf.Scalar;
  });
}

/**
 * Mean squared error between `x` and `xHat`: the mean over every value of (x - xHat)^2 (Keras's
 * `mse`; `sumSquaredError` divided by the number of features). Shapes: equal. Returns a scalar.
 */
export function meanSquaredError(x: tf.Tensor, xHat: tf.Tensor): tf.Scalar {
  if (x.shape.join(',') !== xHat.shape.join(',')) throw new Error(`meanSquaredError: x [${x.shape.join(', ')}] and xHat [${xHat.shape.join(', ')}] differ in shape`);
  return tf.tidy(() => tf.squaredDifference(x, xHat).mean() as tf.Scalar);
}

/**
 * L2 regularisation ("weight decay"): `lambda` times the sum of the squares of every entry of
 * `weights`. Its gradient is 2 lambda w, which pulls each weight towards 0. Returns a scalar.
 */
export function l2Penalty(weights: readonly tf.Tensor[], lambda: number): tf.Scalar {
  if (!Number.isFinite(lambda) || lambda < 0) throw new Error(`l2Penalty: lambda must be a number >= 0, got ${lambda}`);
  return tf.tidy(() => tf.addN(weights.map((w) => w.square().sum())).mul(lambda) as tf.Scalar);
}

/** The weight matrices and filters of a model (variables named `.../w`): what L2 regularisation penalises; biases are left free. */
export function kernelWeights(variables: readonly NamedVariable[]): tf.Variable[] {
  return variables.filter((v) => v.name.endsWith('/w')).map((v) => v.variable);
}
