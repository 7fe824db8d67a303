import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { formatDuration, ProgressLine } from '../core/output';
import { mixSeed } from '../core/random';
import { batches } from '../data/batches';
import type { Dataset } from '../data/dataset';

/** log((1/n) sum_i exp(v_i)), computed as m + log((1/n) sum_i exp(v_i - m)) with m the largest value. */
export function logMeanExp(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('logMeanExp: no values');
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new Error(`logMeanExp: values[${i}] is NaN`);
    if (values[i] > max) max = values[i];
  }
  if (max === Number.NEGATIVE_INFINITY || max === Number.POSITIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum / values.length);
}

/** What `estimateLogLikelihood` needs of a VAE (a `VariationalAutoencoder`). */
export interface LikelihoodModel {
  elbo(x: tf.Tensor, seed: number, labels?: tf.Tensor1D): tf.Tensor1D;
  importanceLogWeights(x: tf.Tensor, samples: number, seed: number, labels?: tf.Tensor1D): tf.Tensor2D;
}

/** Options of `estimateLogLikelihood`. */
export interface LikelihoodOptions {
  /** The numbers of importance samples k, ascending. Default `[1, 10, 100]`. */
  samples?: readonly number[];
  /** Seed of the codes drawn. */
  seed: number;
  /** Most codes decoded at once (examples per batch times the largest k). Default 8192. */
  codesPerBatch?: number;
  /** Show a progress line. Default true. */
  progress?: boolean;
}

/** A value per example, with its mean and the standard error of that mean. */
export interface MeanWithError {
  readonly mean: number;
  readonly standardError: number;
  readonly perExample: Float64Array;
}

/** What `estimateLogLikelihood` found, in nats per example. */
export interface LikelihoodReport {
  /** The ELBO (closed-form KL, one sample for the reconstruction term). */
  readonly elbo: MeanWithError;
  /** The k-sample importance-weighted bound on log p(x) for each k (Burda et al. 2016), ascending k. */
  readonly estimates: readonly (MeanWithError & { readonly samples: number })[];
  readonly examples: number;
  readonly seconds: number;
}

/** The mean of `values` (at least one), the standard error of that mean (sample standard deviation / sqrt(n)), and the values. */
export function meanWithError(values: ArrayLike<number>): MeanWithError {
  const n = values.length;
  if (n === 0) throw new Error('meanWithError: no values');
  const perExample = Float64Array.from(values);
  const mean = perExample.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? perExample.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, standardError: Math.sqrt(variance / n), perExample };
}

/**
 * The ELBO and the importance-sampled estimates log (1/k) sum_j p(x, z_j) / q(z_j|x), z_j ~ q(z|x),
 * of log p(x) for each k in `samples`, averaged over `data`. Each k uses the first k of the same
 * codes, so the estimates of one example are comparable; every one is a lower bound on log p(x) in
 * expectation that rises with k (Burda et al. 2016).
 */
export async function estimateLogLikelihood(model: LikelihoodModel, data: Dataset, options: LikelihoodOptions): Promise<LikelihoodReport> {
  const samples = [...(options.samples ?? [1, 10, 100])];
  if (samples.length === 0) throw new Error('estimateLogLikelihood: samples is empty');
  samples.forEach((k, i) => {
    checkPositiveInt(k, `samples[${i}]`);
    if (i > 0 && k <= samples[i - 1]) throw new Error(`estimateLogLikelihood: samples must ascend, got [${samples.join(', ')}]`);
  });
  if (data.count === 0) throw new Error('estimateLogLikelihood: the dataset is empty');
  const largest = samples[samples.length - 1];
  const batchSize = Math.max(1, Math.floor(checkPositiveInt(options.codesPerBatch ?? 8192, 'codesPerBatch') / largest));
  const progress = options.progress === false ? undefined : new ProgressLine();
  const started = Date.now();
  const elbo = new Float64Array(data.count);
  const bounds = samples.map(() => new Float64Array(data.count));
  for (const hb of batches(data, { batchSize, shuffle: false })) {
    const x = tf.tensor(hb.x, [hb.size, ...data.featureShape]);
    // A conditional model reads the labels (log p(x|y)); the others ignore them.
    const labels = hb.labels === undefined ? undefined : tf.tensor1d(hb.labels, 'int32');
    const e = model.elbo(x, mixSeed(options.seed, hb.index, 0), labels);
    const w = model.importanceLogWeights(x, largest, mixSeed(options.seed, hb.index, 1), labels);
    const [elboValues, weights] = await Promise.all([e.data(), w.data()]);
    tf.dispose([x, e, w, ...(labels === undefined ? [] : [labels])]);
    const offset = hb.index * batchSize;
    for (let i = 0; i < hb.size; i++) {
      elbo[offset + i] = elboValues[i];
      const row = weights.subarray(i * largest, (i + 1) * largest);
      samples.forEach((k, j) => {
        bounds[j][offset + i] = logMeanExp(row.subarray(0, k));
      });
    }
    progress?.update(`log-likelihood, k up to ${largest}: ${offset + hb.size} of ${data.count} examples, ${formatDuration((Date.now() - started) / 1000)}`);
  }
  const seconds = (Date.now() - started) / 1000;
  progress?.done(`log-likelihood, k up to ${largest}: ${data.count} examples in ${formatDuration(seconds)}`);
  return {
    elbo: meanWithError(elbo),
    estimates: samples.map((k, j) => ({ samples: k, ...meanWithError(bounds[j]) })),
    examples: data.count,
    seconds,
  };
}
