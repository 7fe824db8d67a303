import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { values } from './backend-compare';

/**
 * Central differences of `f` with respect to each value of `x` (float64 on the host, f evaluated
 * by TF.js in float32): the independent check of autodiff's gradients.
 */
export function numericalGradient(f: (x: tf.Tensor) => tf.Scalar, x: Float32Array, shape: number[], eps: number): Float64Array {
  const g = new Float64Array(x.length);
  const at = (v: Float32Array) => tf.tidy(() => f(tf.tensor(v, shape)).dataSync()[0]);
  for (let i = 0; i < x.length; i++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] += eps;
    minus[i] -= eps;
    g[i] = (at(plus) - at(minus)) / (2 * eps);
  }
  return g;
}

/** Asserts that autodiff's gradient of `f` at `x` matches central differences within `tolerance`. */
export function checkGradient(f: (x: tf.Tensor) => tf.Scalar, x: Float32Array, shape: number[], what: string, eps = 1e-2, tolerance = 2e-3): void {
  const auto = tf.tidy(() => tf.grad(f)(tf.tensor(x, shape)).dataSync());
  const numeric = numericalGradient(f, x, shape, eps);
  checkClose(auto, numeric, tolerance, what);
}

/** A linear functional sum(y * r) with fixed random weights `r`: its gradient is J^T r, a random combination of the Jacobian's rows. */
export function weighted(y: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(y.mul(tf.tensor(values(y.size, seed), y.shape)));
}

export const t3 = (n: number, shape: [number, number, number], seed: number) => tf.tensor3d(values(n, seed), shape);
