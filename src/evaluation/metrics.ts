import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { batches } from '../data/batches';

/** Fraction of `predicted` equal to `labels` (same length, at least one). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) throw new Error(`accuracy: ${predicted.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) throw new Error('accuracy: no examples');
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** Predicted class of every example, via the model's `predict` (`[batch, ...]` to int32 `[batch]`). */
export async function predictClasses(model: { predict(x: tf.Tensor): tf.Tensor1D }, dataset: Dataset, batchSize = 1024): Promise<Int32Array> {
  const out = new Int32Array(dataset.count);
  for (const hb of batches(dataset, { batchSize, shuffle: false })) {
    const p = tf.tidy(() => model.predict(tf.tensor(hb.x, [hb.size, ...dataset.featureShape])));
    out.set(await p.data(), hb.index * batchSize);
    p.dispose();
  }
  return out;
}

/**
 * Mean squared reconstruction error per value (mean over examples and features of (x - x̂)^2),
 * via the model's `reconstruct`; comparable across models and with PCA.
 */
export async function reconstructionMse(model: { reconstruct(x: tf.Tensor): tf.Tensor }, dataset: Dataset, batchSize = 1024): Promise<number> {
  const total = await sumOverBatches(dataset, batchSize, (x) => tf.squaredDifference(x, model.reconstruct(x)).sum());
  return total / dataset.x.length;
}

/** Sum over the dataset of `perBatch(x)` (a scalar per batch), accumulated on the device and read back once. */
async function sumOverBatches(dataset: Dataset, batchSize: number, perBatch: (x: tf.Tensor) => tf.Tensor): Promise<number> {
  let sum: tf.Scalar = tf.scalar(0);
  for (const hb of batches(dataset, { batchSize, shuffle: false })) {
    const next = tf.tidy(() => sum.add(perBatch(tf.tensor(hb.x, [hb.size, ...dataset.featureShape]))) as tf.Scalar);
    sum.dispose();
    sum = next;
  }
  const total = (await sum.data())[0];
  sum.dispose();
  return total;
}

/**
 * Mean binary cross-entropy per value, -(x log x̂ + (1 - x) log(1 - x̂)), of the model's
 * reconstructions x̂ (clipped to [1e-7, 1 - 1e-7]) against `x` in [0, 1]: the loss a BCE
 * autoencoder minimises, per pixel, so models trained on different losses can be compared on it.
 */
export async function reconstructionBce(model: { reconstruct(x: tf.Tensor): tf.Tensor }, dataset: Dataset, batchSize = 1024): Promise<number> {
  const total = await sumOverBatches(dataset, batchSize, (x) => {
    const p = model.reconstruct(x).clipByValue(1e-7, 1 - 1e-7);
    return x.mul(p.log()).add(tf.scalar(1).sub(x).mul(tf.scalar(1).sub(p).log())).neg().sum();
  });
  return total / dataset.x.length;
}

/**
 * Accuracy of the nearest-centroid rule in a feature space: each test point gets the class whose
 * mean training point is nearest (Euclidean). A simple probe of how well a representation
 * separates the classes. Codes are row-major `[count, dim]`.
 */
export function nearestCentroidAccuracy(
  train: { z: ArrayLike<number>; count: number; latentDim: number },
  trainLabels: ArrayLike<number>,
  test: { z: ArrayLike<number>; count: number; latentDim: number },
  testLabels: ArrayLike<number>,
): number {
  const dim = train.latentDim;
  if (test.latentDim !== dim) throw new Error(`nearestCentroidAccuracy: train codes have ${dim} dimensions, test codes ${test.latentDim}`);
  if (trainLabels.length !== train.count || testLabels.length !== test.count) {
    throw new Error(`nearestCentroidAccuracy: ${trainLabels.length} train labels for ${train.count} codes, ${testLabels.length} test labels for ${test.count}`);
  }
  const classes = Math.max(...Array.from(trainLabels)) + 1;
  const centroids = new Float64Array(classes * dim);
  const counts = new Float64Array(classes);
  for (let i = 0; i < train.count; i++) {
    const c = trainLabels[i];
    counts[c] += 1;
    for (let j = 0; j < dim; j++) centroids[c * dim + j] += train.z[i * dim + j];
  }
  for (let c = 0; c < classes; c++) for (let j = 0; j < dim; j++) centroids[c * dim + j] /= Math.max(counts[c], 1);
  const predicted = new Int32Array(test.count);
  for (let i = 0; i < test.count; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < classes; c++) {
      if (counts[c] === 0) continue;
      let dist = 0;
      for (let j = 0; j < dim; j++) dist += (test.z[i * dim + j] - centroids[c * dim + j]) ** 2;
      if (dist < bestDistance) {
        bestDistance = dist;
        best = c;
      }
    }
    predicted[i] = best;
  }
  return accuracy(predicted, testLabels);
}
