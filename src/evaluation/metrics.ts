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
  let sum: tf.Scalar = tf.scalar(0);
  for (const hb of batches(dataset, { batchSize, shuffle: false })) {
    const next = tf.tidy(() => {
      const x = tf.tensor(hb.x, [hb.size, ...dataset.featureShape]);
      return sum.add(tf.squaredDifference(x, model.reconstruct(x)).sum()) as tf.Scalar;
    });
    sum.dispose();
    sum = next;
  }
  const total = (await sum.data())[0];
  sum.dispose();
  return total / dataset.x.length;
}
