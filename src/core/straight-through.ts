import * as tf from '@tensorflow/tfjs';

/**
 * The straight-through estimator (Bengio et al. 2013; the VQ-VAE's copy of gradients from decoder
 * to encoder, van den Oord et al. 2017): the value of `quantized`, with the gradient of `x`, as if
 * the quantisation were the identity. It is `x + stopGradient(quantized - x)`: the gradient with
 * respect to `x` is the incoming gradient unchanged, and `quantized` receives none. Shapes must match.
 */
export function straightThrough<T extends tf.Tensor>(x: T, quantized: T): T {
  if (x.shape.join(',') !== quantized.shape.join(',')) {
    throw new Error(`straightThrough: x [${x.shape.join(', ')}] and quantized [${quantized.shape.join(', ')}] must have the same shape`);
  }
  const forward = (a: tf.Tensor, b: tf.Tensor) => ({
    value: b.clone(),
    gradFunc: (dy: tf.Tensor) => [dy.clone(), tf.zerosLike(b)],
  });
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, quantized) as T;
}

/**
 * sg[x], the stop-gradient of the VQ-VAE's loss: the value of `x`, through which no gradient flows
 * (TF.js has no such op; this is a custom gradient of zero).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const forward = (a: tf.Tensor) => ({
    value: a.clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  });
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as T;
}
