import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import { makeDataset } from '../../src/data/dataset';
import { AutoregressiveCodePrior, CategoricalCodePrior } from '../../src/models/code-prior';
import { evaluateLoss, train } from '../../src/training/trainer';

before(async () => {
  await tf.setBackend('cpu');
});

const grid = { rows: 3, cols: 4, codebookSize: 4 };

/**
 * Codes with one random word: position 0 is uniform over the 4 words and every other position
 * copies it, so -log p(code) is log 4 nats, while each position on its own is uniform (12 log 4 for
 * a prior that treats positions as independent).
 */
function copiedCodes(count: number, seed: number): Int32Array {
  const random = new Random(seed);
  const codes = new Int32Array(count * 12);
  for (let i = 0; i < count; i++) codes.fill(random.int(4), i * 12, (i + 1) * 12);
  return codes;
}

describe('CategoricalCodePrior', () => {
  it('fits per-position frequencies with a pseudocount, and its log-likelihood sums over positions', () => {
    const small = { rows: 1, cols: 2, codebookSize: 3 };
    const prior = CategoricalCodePrior.fit([0, 2, 0, 1, 1, 2], 3, small);
    // Position 0 saw words 0, 0, 1; position 1 saw 2, 1, 2; each count + 1, over 3 + 3.
    assert.deepEqual(Array.from(prior.probabilities).map((p) => Math.round(p * 6)), [3, 2, 1, 1, 2, 3]);
    const [ll] = prior.logLikelihood([0, 2], 1);
    assert.ok(Math.abs(ll - (Math.log(3 / 6) + Math.log(3 / 6))) < 1e-12);
    assert.throws(() => prior.logLikelihood([0, 3], 1), /index 1 is 3, expected an integer in 0..2/);
    assert.throws(() => CategoricalCodePrior.fit([0, 1, 2], 2, small), /expected 2 codes of 2 positions/);
  });

  it('samples each position from its own frequencies', () => {
    const prior = CategoricalCodePrior.fit([0, 2, 0, 1, 1, 2], 3, { rows: 1, cols: 2, codebookSize: 3 });
    const n = 20000;
    const samples = prior.sample(n, 4);
    for (let position = 0; position < 2; position++) {
      for (let k = 0; k < 3; k++) {
        let hits = 0;
        for (let i = 0; i < n; i++) if (samples[i * 2 + position] === k) hits++;
        assert.ok(Math.abs(hits / n - prior.probabilities[position * 3 + k]) < 0.015, `position ${position}, word ${k}: ${hits / n}`);
      }
    }
    assert.deepEqual(prior.sample(5, 9), prior.sample(5, 9));
  });
});

describe('AutoregressiveCodePrior', () => {
  it('predicts each position only from the positions before it', () => {
    const prior = new AutoregressiveCodePrior({ ...grid, hiddenSize: 16, seed: 1 });
    const random = new Random(2);
    const a = Array.from({ length: 12 }, () => random.int(4));
    for (const i of [0, 5, 11]) {
      const b = a.map((k, j) => (j > i ? (k + 1 + random.int(3)) % 4 : k));
      const [la, lb] = tf.tidy(() => [prior.logits(tf.tensor2d([a])).arraySync()[0], prior.logits(tf.tensor2d([b])).arraySync()[0]]);
      for (let j = 0; j <= i; j++) assert.deepEqual(lb[j], la[j], `position ${j} changed when positions after ${i} did`);
      // Position i + 1 sees position i's left or upper neighbours: it may change, and for a later one it must be able to.
    }
    // A change at position 0 reaches position 1 (its left) and position 4 (below it).
    const changed = a.map((k, j) => (j === 0 ? (k + 1) % 4 : k));
    const [la, lc] = tf.tidy(() => [prior.logits(tf.tensor2d([a])).arraySync()[0], prior.logits(tf.tensor2d([changed])).arraySync()[0]]);
    assert.notDeepEqual(lc[1], la[1]);
    assert.notDeepEqual(lc[4], la[4]);
    prior.dispose();
  });

  it('learns a dependence between positions that the per-position prior cannot see, and samples it', async () => {
    const trainCodes = copiedCodes(2000, 3);
    const testCodes = copiedCodes(500, 4);
    const categorical = CategoricalCodePrior.fit(trainCodes, 2000, grid);
    const categoricalNll = -categorical.logLikelihood(testCodes, 500).reduce((a, b) => a + b, 0) / 500;
    assert.ok(Math.abs(categoricalNll - 12 * Math.log(4)) < 0.2, `independent positions: ${categoricalNll} nats, about 12 log 4`);
    const prior = new AutoregressiveCodePrior({ ...grid, hiddenSize: 32, seed: 1 });
    const dataset = makeDataset({ x: Float32Array.from(trainCodes), featureShape: [12] });
    await train(prior, { train: dataset, epochs: 15, batchSize: 100, learningRate: 1e-2, seed: 1, progress: false });
    const ll = await prior.logLikelihood(testCodes, 500, { batchSize: 128 });
    const nll = -ll.reduce((a, b) => a + b, 0) / 500;
    assert.ok(nll < Math.log(4) + 0.5, `autoregressive: ${nll} nats per code, the true value is log 4 = ${Math.log(4)}`);
    // logLikelihood and the training loss agree.
    const terms = await evaluateLoss(prior, makeDataset({ x: Float32Array.from(testCodes), featureShape: [12] }));
    assert.ok(Math.abs(terms.total - nll) < 1e-3 * (1 + nll), `loss ${terms.total} against -logLikelihood ${nll}`);
    const samples = await prior.sample(200, 5);
    let copies = 0;
    for (let i = 0; i < 200; i++) if (samples.subarray(i * 12, (i + 1) * 12).every((k) => k === samples[i * 12])) copies++;
    assert.ok(copies > 180, `${copies} of 200 samples copy their first word everywhere`);
    assert.ok(new Set(Array.from({ length: 200 }, (_, i) => samples[i * 12])).size === 4, 'the first word takes all 4 values');
    const independent = categorical.sample(200, 5);
    let independentCopies = 0;
    for (let i = 0; i < 200; i++) if (independent.subarray(i * 12, (i + 1) * 12).every((k) => k === independent[i * 12])) independentCopies++;
    assert.ok(independentCopies < 5, `the per-position prior copies in ${independentCopies} of 200`);
    assert.deepEqual(await prior.sample(3, 8), await prior.sample(3, 8));
    await assert.rejects(prior.logLikelihood([0, 1], 1), /expected 1 codes of 12 positions/);
    prior.dispose();
  });
});
