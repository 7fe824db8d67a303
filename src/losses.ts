import * as tf from '@tensorflow/tfjs';

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
