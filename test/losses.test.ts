import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  bernoulliKl,
  binaryCrossEntropyWithLogits,
  contractivePenalty,
  kernelWeights,
  klSparsityPenalty,
  l1ActivityPenalty,
  l2Penalty,
  meanSquaredError,
  softmaxCrossEntropy,
  sumSquaredError,
} from '../src/losses';
import { jacobianFrobeniusSquared } from '../src/nn/jacobian';

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

describe('sparsity and contractive penalties', () => {
  const kl = (p: number, q: number) => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));

  it('l1ActivityPenalty: weight * sum over units of |z|, batch mean', () => {
    close(l1ActivityPenalty(tf.tensor2d([[1, -2], [0, 3]]), 0.5).dataSync()[0], 0.5 * ((1 + 2) + 3) / 2);
  });

  it('bernoulliKl and klSparsityPenalty on hand-computed cases, zero at the target', () => {
    close(bernoulliKl(0.1, tf.scalar(0.5)).dataSync()[0], kl(0.1, 0.5));
    assert.ok(Math.abs(bernoulliKl(0.05, tf.scalar(0.05)).dataSync()[0]) < 1e-6);
    // average activations (0.3, 0.5)
    const a = tf.tensor2d([[0.2, 0.5], [0.4, 0.5]]);
    close(klSparsityPenalty(a, 0.1, 2).dataSync()[0], 2 * (kl(0.1, 0.3) + kl(0.1, 0.5)));
    // a dead unit (average 0) gives a large but finite penalty
    assert.ok(Number.isFinite(klSparsityPenalty(tf.zeros([2, 1]) as tf.Tensor2D, 0.1, 1).dataSync()[0]));
    assert.throws(() => bernoulliKl(0, tf.scalar(0.5)), /rho must be in \(0, 1\), got 0/);
  });

  it('the gradient of the KL penalty is weight/B * (-rho/q + (1-rho)/(1-q)) for every example', () => {
    const a = tf.tensor2d([[0.2, 0.5], [0.4, 0.5]]);
    const g = tf.grad((t: tf.Tensor) => klSparsityPenalty(t as tf.Tensor2D, 0.1, 2))(a).dataSync();
    const expected = [0.3, 0.5, 0.3, 0.5].map((q) => (2 / 2) * (-0.1 / q + 0.9 / (1 - q)));
    [...g].forEach((v, i) => close(v, expected[i]));
  });

  it('contractivePenalty: sum_j (h_j(1-h_j))^2 ||W_j||^2, and it equals the autodiff Jacobian norm of a sigmoid layer', () => {
    close(contractivePenalty(tf.tensor2d([[0.5, 0.2]]), tf.tensor2d([[1, 0], [2, 1]]), 1).dataSync()[0], 0.0625 * 5 + 0.0256 * 1);
    const w = tf.randomNormal([6, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([4], 0, 1, 'float32', 2);
    const x = tf.randomUniform([3, 6], 0, 1, 'float32', 3) as tf.Tensor2D;
    const layer = (input: tf.Tensor2D) => tf.sigmoid(input.matMul(w).add(b)) as tf.Tensor2D;
    const autodiff = jacobianFrobeniusSquared(layer, x).mean().dataSync()[0];
    close(contractivePenalty(layer(x), w, 0.7).dataSync()[0], 0.7 * autodiff);
    assert.throws(() => contractivePenalty(layer(x), tf.zeros([6, 5]) as tf.Tensor2D, 1), /must agree on k, got h \[3, 4\] and w \[6, 5\]/);
  });

  it('jacobianFrobeniusSquared of a linear map is the squared norm of its matrix, for every example', () => {
    const a = tf.tensor2d([[1, 2, 0], [0, -1, 3]]);
    const j = jacobianFrobeniusSquared((x) => x.matMul(a) as tf.Tensor2D, tf.randomUniform([4, 2]) as tf.Tensor2D).dataSync();
    [...j].forEach((v) => close(v, 1 + 4 + 1 + 9));
  });
});
