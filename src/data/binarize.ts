import * as tf from '@tensorflow/tfjs';
import { Random } from '../core/random';
import type { Dataset } from './dataset';

/**
 * `x` with each value v in [0, 1] replaced by a Bernoulli draw: 1 with probability v, else 0
 * (stochastic binarisation, as in the binarised-MNIST benchmarks of Salakhutdinov and Murray 2008
 * and Burda et al. 2016). `uniform` holds one number in [0, 1) per value.
 */
export function bernoulliDraw<T extends tf.Tensor>(x: T, uniform: tf.Tensor): T {
  return tf.tidy(() => tf.less(uniform, x).toFloat()) as T;
}

/** Uniform numbers in [0, 1) shaped `shape`, drawn in order from a generator seeded with `seed` (the same on every backend). */
export function uniformNoise(shape: readonly number[], seed: number): tf.Tensor {
  const random = new Random(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = random.next();
  return tf.tensor(values, [...shape]);
}

/**
 * A copy of `dataset` with every value binarised once: 1 with probability equal to the value,
 * drawn with `seed` (a fixed binarisation, for a test set). Values must lie in [0, 1].
 */
export function binarize(dataset: Dataset, seed: number): Dataset {
  const random = new Random(seed);
  const x = new Float32Array(dataset.x.length);
  for (let i = 0; i < x.length; i++) {
    const v = dataset.x[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`binarize: value ${i} is ${v}, outside [0, 1]`);
    x[i] = random.next() < v ? 1 : 0;
  }
  return { ...dataset, x };
}
