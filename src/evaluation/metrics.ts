import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { batches } from '../data/batches';
import { classMeans } from './embedding-metrics';

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
  const { classes, means } = classMeans(train, trainLabels);
  const predicted = new Int32Array(test.count);
  for (let i = 0; i < test.count; i++) {
    let best = -1;
    let bestDistance = Infinity;
    classes.forEach((c, s) => {
      let dist = 0;
      for (let j = 0; j < dim; j++) dist += (test.z[i * dim + j] - means[s * dim + j]) ** 2;
      if (dist < bestDistance) {
        bestDistance = dist;
        best = c;
      }
    });
    predicted[i] = best;
  }
  return accuracy(predicted, testLabels);
}

/**
 * How class-specific the units of a code are: for each unit (column of `codes`, row-major
 * `[count, dim]`), take the `top` examples on which it responds most strongly and the share of them
 * that belong to their most common class; the mean of that share over units. 1/classes for units
 * that respond to anything, 1 for units that each respond to one class. Units whose strongest
 * response is at most `minResponse` (dead units) are left out.
 */
export function topResponsePurity(
  codes: { z: ArrayLike<number>; count: number; latentDim: number },
  labels: ArrayLike<number>,
  options: { top?: number; minResponse?: number } = {},
): { purity: number; unitsUsed: number } {
  const top = options.top ?? 20;
  const minResponse = options.minResponse ?? 0;
  const { z, count, latentDim: dim } = codes;
  if (labels.length !== count) throw new Error(`topResponsePurity: ${labels.length} labels for ${count} codes`);
  if (!Number.isSafeInteger(top) || top <= 0 || top > count) throw new Error(`topResponsePurity: top must be an integer in 1..${count}, got ${top}`);
  const classes = Math.max(...Array.from(labels)) + 1;
  const order = Array.from({ length: count }, (_, i) => i);
  let sum = 0;
  let used = 0;
  for (let j = 0; j < dim; j++) {
    order.sort((a, b) => z[b * dim + j] - z[a * dim + j] || a - b);
    if (!(z[order[0] * dim + j] > minResponse)) continue;
    const counts = new Array<number>(classes).fill(0);
    for (let k = 0; k < top; k++) counts[labels[order[k]]] += 1;
    sum += Math.max(...counts) / top;
    used += 1;
  }
  if (used === 0) throw new Error(`topResponsePurity: no unit responds above ${minResponse}`);
  return { purity: sum / used, unitsUsed: used };
}
