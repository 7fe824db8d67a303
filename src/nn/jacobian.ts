import * as tf from '@tensorflow/tfjs';

/**
 * The squared Frobenius norm of the Jacobian dz/dx of `f` at each example, by automatic
 * differentiation: one backward pass per output unit (the examples of a batch are independent, so
 * the gradient of the batch sum of unit j gives row j of every example's Jacobian). Shapes: `x`
 * `[batch, inputDim]`, `f(x)` `[batch, k]`; returns `[batch]`.
 */
export function jacobianFrobeniusSquared(f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const k = tf.tidy(() => f(x).shape[1]);
    let total = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    for (let j = 0; j < k; j++) {
      const row = tf.grad((input: tf.Tensor) => f(input as tf.Tensor2D).slice([0, j], [-1, 1]).sum())(x);
      const next = total.add(row.square().sum(1)) as tf.Tensor1D;
      total.dispose();
      row.dispose();
      total = next;
    }
    return total;
  });
}
