import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { binaryCrossEntropyWithLogits, softmaxCrossEntropy, sumSquaredError } from '../src/losses';

before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} vs ${b}`);

describe('losses on hand-computed cases', () => {
  it('binary cross-entropy with logits: sum over features, mean over batch', () => {
    // row 1: x=(1, 0), l=(0, 2): -log(0.5) - log(1 - sigmoid(2)) = 0.693147 + 2.126928
    // row 2: x=(0.5, 1), l=(-1, 40): 0.5*log1p(e^-1) + 0.5*log1p(e^1) + log1p(e^-40) = 0.813262 + ~0
    const x = tf.tensor2d([[1, 0], [0.5, 1]]);
    const l = tf.tensor2d([[0, 2], [-1, 40]]);
    const expected = (0.6931472 + 2.1269280 + 0.5 * Math.log1p(Math.exp(-1)) + 0.5 * Math.log1p(Math.exp(1)) + Math.log1p(Math.exp(-40))) / 2;
    close(binaryCrossEntropyWithLogits(x, l).dataSync()[0], expected);
    // stable for large logits: no Inf
    const big = binaryCrossEntropyWithLogits(tf.tensor2d([[0]]), tf.tensor2d([[500]])).dataSync()[0];
    close(big, 500);
  });

  it('sum of squared errors: sum over features, mean over batch', () => {
    const v = sumSquaredError(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor2d([[0, 0], [3, 0]])).dataSync()[0];
    close(v, (1 + 4 + 9) / 2);
  });

  it('softmax cross-entropy: mean over batch of -log p(label)', () => {
    const logits = tf.tensor2d([[0, 0, 0], [2, 0, 0]]);
    const v = softmaxCrossEntropy(tf.tensor1d([1, 0], 'int32'), logits).dataSync()[0];
    const p = Math.exp(2) / (Math.exp(2) + 2);
    close(v, (Math.log(3) - Math.log(p)) / 2);
  });
});
