import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { binaryCrossEntropyWithLogits, kernelWeights, l2Penalty, meanSquaredError, softmaxCrossEntropy, sumSquaredError } from '../src/losses';

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

describe('regularisation and mean squared error', () => {
  it('l2Penalty is lambda times the sum of squares, with gradient 2 lambda w', () => {
    const w1 = tf.tensor2d([[1, -2], [0, 3]]);
    const w2 = tf.tensor1d([0.5]);
    close(l2Penalty([w1, w2], 0.1).dataSync()[0], 0.1 * (1 + 4 + 9 + 0.25));
    const g = tf.grad((w: tf.Tensor) => l2Penalty([w], 0.1))(w1);
    assert.deepEqual([...g.dataSync()].map((v) => Math.round(v * 1e6) / 1e6), [0.2, -0.4, 0, 0.6]);
    assert.equal(l2Penalty([w1], 0).dataSync()[0], 0);
    assert.throws(() => l2Penalty([w1], -1), /lambda must be a number >= 0, got -1/);
  });

  it('kernelWeights keeps weight matrices and filters, not biases', () => {
    const v = (name: string) => ({ name, variable: tf.variable(tf.zeros([1]), true) });
    const all = [v('encoder/0/w'), v('encoder/0/b'), v('decoder/1/w')];
    assert.deepEqual(kernelWeights(all), [all[0].variable, all[2].variable]);
    all.forEach((x) => x.variable.dispose());
  });

  it('meanSquaredError is the mean over every value', () => {
    close(meanSquaredError(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor2d([[0, 0], [3, 0]])).dataSync()[0], (1 + 4 + 9) / 4);
    assert.throws(() => meanSquaredError(tf.zeros([2, 2]), tf.zeros([2, 3])), /x \[2, 2\] and xHat \[2, 3\] differ in shape/);
  });
});
