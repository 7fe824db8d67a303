import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed } from '../core/random';
import { batches } from '../data/batches';
import type { Dataset } from '../data/dataset';
import type { Embedding } from '../latent/embed';
import { nearestNeighbours } from '../latent/knn';

/**
 * Anomaly scores: one number per example, higher meaning "less like the training data". Each is
 * meant for a model fitted on normal data only; `auroc(scores, isAnomaly)` then measures how well
 * the score ranks anomalies above normal examples.
 */

/**
 * One value per example of `dataset`: `perBatch` maps each batch `[size, ...featureShape]` to a
 * `[size]` tensor, read back batch by batch (`what` names the caller in errors).
 */
async function perExample(what: string, dataset: Dataset, batchSize: number, perBatch: (x: tf.Tensor, batchIndex: number) => tf.Tensor): Promise<Float64Array> {
  if (dataset.count === 0) throw new Error(`${what}: the dataset is empty`);
  checkPositiveInt(batchSize, 'batchSize');
  const out = new Float64Array(dataset.count);
  for (const hb of batches(dataset, { batchSize, shuffle: false })) {
    const values = tf.tidy(() => perBatch(tf.tensor(hb.x, [hb.size, ...dataset.featureShape]), hb.index));
    out.set(await values.data(), hb.index * batchSize);
    values.dispose();
  }
  return out;
}

/**
 * The reconstruction error of every example: the mean over its values of (x - x̂)^2, x̂ from the
 * model's `reconstruct` (an autoencoder, or `Pca`). Its mean over the examples is
 * `reconstructionMse`.
 */
export async function reconstructionErrors(model: { reconstruct(x: tf.Tensor): tf.Tensor }, dataset: Dataset, options: { batchSize?: number } = {}): Promise<Float64Array> {
  return perExample('reconstructionErrors', dataset, options.batchSize ?? 1024, (x) => tf.squaredDifference(x, model.reconstruct(x)).reshape([x.shape[0], -1]).mean(1));
}

/**
 * The negative ELBO of every example in nats, -E_q[log p(x|z)] + KL(q(z|x) || p(z)): the VAE's bound
 * on -log p(x), high for examples the model finds unlikely. The reconstruction term uses one code
 * per draw; with `samples` > 1 the value is the mean over that many draws (less noisy). Labels are
 * never passed to the model: a conditional model would be told the answer.
 */
export async function negativeElbos(
  model: { elbo(x: tf.Tensor, seed: number): tf.Tensor1D },
  dataset: Dataset,
  options: { seed: number; samples?: number; batchSize?: number },
): Promise<Float64Array> {
  const samples = checkPositiveInt(options.samples ?? 1, 'samples');
  return perExample('negativeElbos', dataset, options.batchSize ?? 1024, (x, batchIndex) => {
    let total: tf.Tensor = tf.zeros([x.shape[0]]);
    for (let s = 0; s < samples; s++) total = total.add(model.elbo(x, mixSeed(options.seed, batchIndex, s)));
    return total.div(-samples);
  });
}

/**
 * The Euclidean distance from every query point to its nearest reference point (exact, by
 * `nearestNeighbours`; computed in float32, so distances below about 1e-3 of the points' norms are
 * rounding). With `excludeSelf` the query set is the reference set and each point skips itself.
 */
export async function nearestDistances(query: Embedding, reference: Embedding, options: { excludeSelf?: boolean } = {}): Promise<Float64Array> {
  const found = await nearestNeighbours(query, reference, 1, { excludeSelf: options.excludeSelf });
  return Float64Array.from(found.distances, (squared) => Math.sqrt(squared));
}

/**
 * The q-quantile of `values` (0 <= q <= 1) by linear interpolation between the sorted values at
 * positions (n - 1) q, NumPy's default: q = 0 is the smallest, q = 1 the largest, q = 0.5 the median.
 * A threshold for normal-only data: `quantile(normalScores, 1 - rate)` flags about a `rate` share of
 * them.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values);
  for (let i = 0; i < sorted.length; i++) if (Number.isNaN(sorted[i])) throw new Error(`quantile: values[${i}] is NaN`);
  sorted.sort();
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}
