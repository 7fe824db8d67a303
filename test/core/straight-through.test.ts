import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { straightThrough } from '../../src/core/straight-through';

before(async () => {
  await tf.setBackend('cpu');
});

describe('straightThrough', () => {
  it('has the value of the quantised tensor', () => {
    const x = tf.tensor2d([[0.2, 1.7], [-0.6, 2.4]]);
    assert.deepEqual(Array.from(straightThrough(x, x.round()).dataSync()), [0, 2, -1, 2]);
  });

  it('passes the gradient to x unchanged (as if quantising were the identity) and none to the quantised input', () => {
    const x = tf.tensor1d([0.2, 1.7, -0.6, 2.4]);
    const w = tf.tensor1d([1, -2, 3, 0.5]);
    // f = sum(w * q^2) at q = round(x): df/dx through the estimator is 2 w q (the derivative at the quantised value), not 0 (round's own gradient).
    const q = x.round();
    const [dx, dq] = tf.grads((a: tf.Tensor, b: tf.Tensor) => straightThrough(a, b).square().mul(w).sum())([x, q]);
    checkClose(dx.dataSync(), [0, -8, -6, 2], 1e-6, 'd/dx = 2 w q');
    assert.deepEqual(Array.from(dq.dataSync()), [0, 0, 0, 0], 'no gradient reaches the quantised input');
    // Without it, the gradient through round is zero: the encoder would learn nothing.
    const plain = tf.grad((a: tf.Tensor) => a.round().square().mul(w).sum())(x);
    assert.deepEqual(Array.from(plain.dataSync()), [0, 0, 0, 0]);
  });

  it('rejects tensors of different shapes', () => {
    assert.throws(() => straightThrough(tf.zeros([2, 3]), tf.zeros([3, 2])), /x \[2, 3\] and quantized \[3, 2\] must have the same shape/);
  });
});
