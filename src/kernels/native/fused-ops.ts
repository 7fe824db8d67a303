import * as tf from '@tensorflow/tfjs';
import { bceGradKernelName, bceKernelName, denseKernelName, reluBiasGradKernelName } from './adapters';

/**
 * Fused layer ops of the `native` backend, each one kernel forward and as few as it takes backward,
 * where TF.js's own composition runs a dozen small kernels (and records each on the tape):
 *
 * - `nativeDense`: x W + b then linear or ReLU, one call forward (TF.js fuses it only outside a
 *   gradient tape); backward one call for the ReLU mask and the bias gradient, then the two products.
 * - `nativeBceWithLogits`: the binary cross-entropy with logits summed per row, one call forward
 *   and one backward (TF.js: relu, mul, sub, abs, neg, exp, log1p, add, sum and their gradients).
 *
 * Each returns null where the current backend has no such kernel (every backend but `native`):
 * the caller then runs the TF.js composition, which gives the same values.
 */

let gradientsRegistered = false;

/** Registers the gradients of the fused kernels (once; they are global in TF.js, and only `native` has the kernels). */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: denseKernelName,
    inputsToSave: ['x', 'weight'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, weight, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const grad = dy as tf.Tensor2D;
      // Computed here, outside the per-input closures, so the two products share them.
      const [g, db] =
        (attrs as { activation: string }).activation === 'relu' ? (tf.engine().runKernel(reluBiasGradKernelName, { dy: grad, y }, {}) as [tf.Tensor2D, tf.Tensor1D]) : [grad, tf.sum(grad, 0) as tf.Tensor1D];
      return { x: () => tf.matMul(g, weight, false, true), weight: () => tf.matMul(x, g, true, false), bias: () => db };
    },
  });
  tf.registerGradient({
    kernelName: bceKernelName,
    inputsToSave: ['logits', 'x'],
    gradFunc: (dy, saved) => {
      const [logits, x] = saved as [tf.Tensor2D, tf.Tensor2D];
      const grad = dy as tf.Tensor1D;
      return {
        logits: () => tf.engine().runKernel(bceGradKernelName, { dy: grad, logits, x }, {}) as tf.Tensor2D,
        // d/dx of max(l, 0) - l x + log(1 + exp(-|l|)) is -l.
        x: () => tf.neg(tf.mul(logits, tf.reshape(grad, [-1, 1]))),
      };
    },
  });
}

const hasKernel = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;

/** `activation(x weight + bias)` for a linear or ReLU layer as one native kernel; null where the backend has none. */
export function nativeDense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, activation: 'linear' | 'relu'): tf.Tensor2D | null {
  if (!hasKernel(denseKernelName)) return null;
  return tf.engine().runKernel(denseKernelName, { x, weight, bias }, { activation }) as tf.Tensor2D;
}

/** Each row's binary cross-entropy of targets `x` against `logits` (both `[batch, features]`), `[batch]`; null where the backend has no such kernel. */
export function nativeBceWithLogits(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D | null {
  if (!hasKernel(bceKernelName)) return null;
  return tf.engine().runKernel(bceKernelName, { logits, x: x.dtype === 'float32' ? x : tf.cast(x, 'float32') }, {}) as tf.Tensor1D;
}
