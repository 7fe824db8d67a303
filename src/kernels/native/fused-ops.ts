import * as tf from '@tensorflow/tfjs';
import {
  adamInPlaceKernelName,
  adamKernelName,
  bceGradKernelName,
  bceKernelName,
  biasActivationKernelName,
  convKernelName,
  denseKernelName,
  gaussianKlGradKernelName,
  gaussianKlKernelName,
  reluBiasGradKernelName,
  reparameterizeGradKernelName,
  reparameterizeKernelName,
} from './adapters';

/**
 * Fused layer ops of the `native` backend, each one kernel forward and as few as it takes backward,
 * where TF.js's own composition runs a dozen small kernels (and records each on the tape):
 *
 * - `nativeDense`: x W + b then linear or ReLU, one call forward (TF.js fuses it only outside a
 *   gradient tape); backward one call for the ReLU mask and the bias gradient, then the two products.
 * - `nativeConv`: the same for a 2-D convolution layer (NHWC): backward the ReLU mask and bias
 *   gradient in one call, then the two convolution gradients.
 * - `nativeBiasActivation`: x + bias then linear or ReLU (after a transposed convolution), one
 *   call each way.
 * - `nativeBceWithLogits`: the binary cross-entropy with logits summed per row, one call forward
 *   and one backward (TF.js: relu, mul, sub, abs, neg, exp, log1p, add, sum and their gradients).
 *
 * - `nativeGaussianKl` and `nativeReparameterize`: a VAE's closed-form KL term per row and its
 *   reparameterised sample, one call each way where TF.js ran seven and four small kernels (on
 *   [batch, latent] tensors, where the calls, not the arithmetic, cost the time).
 *
 * - `nativeAdam`: the optimizer's Adam step for every variable in one call, in place, where TF.js
 *   ran a dozen kernels per variable and each allocated its result.
 *
 * Each returns null where the current backend has no such kernel (every backend but `native`):
 * the caller then runs the TF.js composition, which gives the same values.
 */

let gradientsRegistered = false;

/** A layer's activation the fused kernels apply. */
export type FusedActivation = 'linear' | 'relu';

/**
 * The gradient through a bias and an activation: g, the gradient of the sum before the
 * activation, and db, g summed over every axis but the last. `y` is the layer's output.
 */
function maskedGradient(dy: tf.Tensor, y: tf.Tensor, activation: string): [tf.Tensor, tf.Tensor1D] {
  if (activation === 'relu') return tf.engine().runKernel(reluBiasGradKernelName, { dy, y }, {}) as [tf.Tensor, tf.Tensor1D];
  return [dy, tf.sum(dy, dy.shape.map((_, i) => i).slice(0, -1)) as tf.Tensor1D];
}

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
      // Computed here, outside the per-input closures, so that the two products share them.
      const [g, db] = maskedGradient(dy as tf.Tensor, y, (attrs as { activation: string }).activation) as [tf.Tensor2D, tf.Tensor1D];
      return { x: () => tf.matMul(g, weight, false, true), weight: () => tf.matMul(x, g, true, false), bias: () => db };
    },
  });
  tf.registerGradient({
    kernelName: convKernelName,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, activation } = attrs as { strides: [number, number]; pad: string; activation: string };
      const [g, db] = maskedGradient(dy as tf.Tensor, y, activation);
      const common = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D,
        bias: () => db,
      };
    },
  });
  tf.registerGradient({
    kernelName: biasActivationKernelName,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved;
      const [g, db] = maskedGradient(dy as tf.Tensor, y, (attrs as { activation: string }).activation);
      // A linear layer's g is dy itself: hand the tape a new tensor object (sharing the data).
      return { x: () => (g === dy ? tf.clone(g) : g), bias: () => db };
    },
  });
  tf.registerGradient({
    kernelName: gaussianKlKernelName,
    inputsToSave: ['mean', 'logVar'],
    gradFunc: (dy, saved) => {
      const [mean, logVar] = saved as [tf.Tensor2D, tf.Tensor2D];
      const [dMean, dLogVar] = tf.engine().runKernel(gaussianKlGradKernelName, { dy: dy as tf.Tensor, mean, logVar }, {}) as [tf.Tensor2D, tf.Tensor2D];
      return { mean: () => dMean, logVar: () => dLogVar };
    },
  });
  tf.registerGradient({
    kernelName: reparameterizeKernelName,
    inputsToSave: ['logVar', 'eps'],
    gradFunc: (dy, saved) => {
      const [logVar, eps] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dz = dy as tf.Tensor2D;
      const [dLogVar, dEps] = tf.engine().runKernel(reparameterizeGradKernelName, { dz, logVar, eps }, {}) as [tf.Tensor2D, tf.Tensor2D];
      // A new tensor object for mean (sharing dz's data): the tape may dispose what it is given.
      return { mean: () => tf.clone(dz), logVar: () => dLogVar, eps: () => dEps };
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
export function nativeDense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, activation: FusedActivation): tf.Tensor2D | null {
  if (!hasKernel(denseKernelName)) return null;
  return tf.engine().runKernel(denseKernelName, { x, weight, bias }, { activation }) as tf.Tensor2D;
}

/** `activation(conv2d(x, filter) + bias)`, NHWC, stride `strides`, no dilation, as one native kernel; null where the backend has none. */
export function nativeConv(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, strides: [number, number], pad: 'same' | 'valid', activation: FusedActivation): tf.Tensor4D | null {
  if (!hasKernel(convKernelName)) return null;
  return tf.engine().runKernel(convKernelName, { x, filter, bias }, { strides, pad, activation } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** `activation(x + bias)` with `bias` over the last axis, as one native kernel; null where the backend has none. */
export function nativeBiasActivation<T extends tf.Tensor>(x: T, bias: tf.Tensor1D, activation: FusedActivation): T | null {
  if (!hasKernel(biasActivationKernelName)) return null;
  return tf.engine().runKernel(biasActivationKernelName, { x, bias }, { activation }) as T;
}

/** Each row's binary cross-entropy of targets `x` against `logits` (both `[batch, features]`), `[batch]`; null where the backend has no such kernel. */
export function nativeBceWithLogits(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D | null {
  if (!hasKernel(bceKernelName)) return null;
  return tf.engine().runKernel(bceKernelName, { logits, x: x.dtype === 'float32' ? x : tf.cast(x, 'float32') }, {}) as tf.Tensor1D;
}

/** KL(N(mean, exp(logVar)) || N(0, I)) of each row, `[batch]`, as one native kernel; null where the backend has none. */
export function nativeGaussianKl(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D | null {
  if (!hasKernel(gaussianKlKernelName) || mean.dtype !== 'float32' || logVar.dtype !== 'float32') return null;
  return tf.engine().runKernel(gaussianKlKernelName, { mean, logVar }, {}) as tf.Tensor1D;
}

/** `mean + exp(logVar / 2) * eps` as one native kernel; null where the backend has none. */
export function nativeReparameterize(mean: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D | null {
  if (!hasKernel(reparameterizeKernelName) || [mean, logVar, eps].some((t) => t.dtype !== 'float32')) return null;
  return tf.engine().runKernel(reparameterizeKernelName, { mean, logVar, eps }, {}) as tf.Tensor2D;
}

/** One variable's Adam update: the variable, its two moments, its gradient and its rate (bias corrections included). */
export interface AdamUpdate {
  variable: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  gradient: tf.Tensor;
  rate: number;
}

/**
 * Adam on the `native` backend, as the Optimizer computes it. The variables whose data and moments
 * no other tensor shares (the usual case) are updated in place, all in one kernel call: no new
 * buffers and one pass over memory. A variable that shares its data (`tf.variable(t)` with `t`
 * still alive, a clone that shares) goes through the per-variable kernel into new buffers, so
 * the other tensor keeps its values. Returns false, doing nothing, where the backend has neither kernel.
 */
export function nativeAdam(updates: readonly AdamUpdate[], beta1: number, beta2: number, epsilon: number): boolean {
  if (!hasKernel(adamInPlaceKernelName) || !hasKernel(adamKernelName)) return false;
  const backend = tf.backend();
  // Only sharing decides the way: both kernels check dtypes and sizes themselves.
  const alone = (t: tf.Tensor) => backend.refCount(t.dataId) === 1;
  const inPlace: AdamUpdate[] = [];
  for (const u of updates) {
    if ([u.variable, u.m, u.v].every(alone)) {
      inPlace.push(u);
      continue;
    }
    tf.tidy(() => {
      const inputs = { variable: u.variable, m: u.m, v: u.v, gradient: u.gradient };
      const [w, m, v] = tf.engine().runKernel(adamKernelName, inputs, { rate: u.rate, beta1, beta2, epsilon }) as tf.Tensor[];
      u.m.assign(m);
      u.v.assign(v);
      u.variable.assign(w);
    });
  }
  if (inPlace.length > 0) {
    const inputs: Record<string, tf.Tensor> = {};
    inPlace.forEach((u, i) => Object.assign(inputs, { [`variable${i}`]: u.variable, [`m${i}`]: u.m, [`v${i}`]: u.v, [`gradient${i}`]: u.gradient }));
    tf.engine().runKernel(adamInPlaceKernelName, inputs, { rates: inPlace.map((u) => u.rate), beta1, beta2, epsilon });
  }
  return true;
}
