import * as tf from '@tensorflow/tfjs';
import { nativeBceWithLogits } from './kernels/native/fused-ops';
import type { NamedVariable } from './nn/params';

/**
 * Binary cross-entropy of targets `x` in [0, 1] against logits `l` (the decoder's output before its
 * sigmoid), computed stably as max(l, 0) - l x + log(1 + exp(-|l|)).
 * Reduction: sum over features, mean over the batch. Shapes: both `[batch, features]`. Returns a scalar.
 */
export function binaryCrossEntropyWithLogits(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => binaryCrossEntropyWithLogitsPerExample(x, logits).mean() as tf.Scalar);
}

/** `binaryCrossEntropyWithLogits` of each example, summed over its features: `[batch]` (minus the Bernoulli log-likelihood). */
export function binaryCrossEntropyWithLogitsPerExample(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => nativeBceWithLogits(x, logits) ?? tf.relu(logits).sub(logits.mul(x)).add(tf.log1p(tf.exp(tf.neg(tf.abs(logits))))).sum(1) as tf.Tensor1D);
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

/**
 * L1 activity penalty of a sparse autoencoder: `weight` times the sum over code units of |z_j|,
 * averaged over the batch. Shapes: `z` `[batch, k]`. Returns a scalar.
 */
export function l1ActivityPenalty(z: tf.Tensor2D, weight: number): tf.Scalar {
  checkWeight(weight, 'l1ActivityPenalty');
  return tf.tidy(() => z.abs().sum(1).mean().mul(weight) as tf.Scalar);
}

/**
 * KL divergence KL(rho || rhoHat) between Bernoulli distributions with means `rho` and each entry
 * of `rhoHat`: rho log(rho / rhoHat) + (1 - rho) log((1 - rho) / (1 - rhoHat)), elementwise.
 * `rhoHat` is clipped to [1e-6, 1 - 1e-6] so that a dead or saturated unit gives a large, finite value.
 */
export function bernoulliKl(rho: number, rhoHat: tf.Tensor): tf.Tensor {
  if (!(rho > 0 && rho < 1)) throw new Error(`bernoulliKl: rho must be in (0, 1), got ${rho}`);
  return tf.tidy(() => {
    const q = rhoHat.clipByValue(1e-6, 1 - 1e-6);
    return q.log().neg().mul(rho).add(tf.sub(1, q).log().neg().mul(1 - rho)).add(rho * Math.log(rho) + (1 - rho) * Math.log(1 - rho));
  });
}

/**
 * KL sparsity penalty (Ng's sparse autoencoder notes): with rhoHat_j the average activation of
 * code unit j over the batch, `weight` times sum_j KL(rho || rhoHat_j). It pushes every unit's
 * average activation towards the small target `rho`. Shapes: `a` `[batch, k]` with activations in
 * (0, 1) (a sigmoid code). Returns a scalar.
 */
export function klSparsityPenalty(a: tf.Tensor2D, rho: number, weight: number): tf.Scalar {
  checkWeight(weight, 'klSparsityPenalty');
  return tf.tidy(() => bernoulliKl(rho, a.mean(0)).sum().mul(weight) as tf.Scalar);
}

/**
 * Contractive penalty (Rifai et al. 2011) of a sigmoid encoder layer h = sigmoid(x W + b):
 * `weight` times the squared Frobenius norm of its Jacobian dh/dx, which in closed form is
 * sum_j (h_j (1 - h_j))^2 sum_i W_ij^2, averaged over the batch. Shapes: `h` `[batch, k]` (the
 * layer's output), `w` `[inputDim, k]`. Returns a scalar.
 */
export function contractivePenalty(h: tf.Tensor2D, w: tf.Tensor2D, weight: number): tf.Scalar {
  checkWeight(weight, 'contractivePenalty');
  if (h.rank !== 2 || w.rank !== 2 || h.shape[1] !== w.shape[1]) {
    throw new Error(`contractivePenalty: h [batch, k] and w [inputDim, k] must agree on k, got h [${h.shape.join(', ')}] and w [${w.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const slope = h.mul(tf.sub(1, h)).square();
    const columnNorms = w.square().sum(0);
    return slope.mul(columnNorms).sum(1).mean().mul(weight) as tf.Scalar;
  });
}

function checkWeight(weight: number, what: string): void {
  if (!Number.isFinite(weight) || weight < 0) throw new Error(`${what}: weight must be a number >= 0, got ${weight}`);
}
