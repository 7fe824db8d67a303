import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mixSeed, Random } from '../../src/core/random';
import { makeDataset } from '../../src/data/dataset';
import { nearestDistances, negativeElbos, quantile, reconstructionErrors } from '../../src/evaluation/anomaly';
import { reconstructionMse } from '../../src/evaluation/metrics';
import { Pca } from '../../src/latent/pca';
import { Vae } from '../../src/models/vae';

before(async () => {
  await tf.setBackend('cpu');
});

describe('reconstructionErrors', () => {
  it('gives each example its mean squared error: zero on the fitted line, the squared distance from it per value off it', async () => {
    // Training points on the x axis, centred at the origin: one principal direction, (1, 0, 0).
    const line = makeDataset({ x: Float32Array.from([-2, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0]), featureShape: [3] });
    const pca = await Pca.fit(line, { components: 1 });
    const queries = makeDataset({ x: Float32Array.from([1, 0, 0, 0, 3, 0, 1, 0, 4, -5, 1, 1]), featureShape: [3] });
    const errors = await reconstructionErrors(pca, queries, { batchSize: 3 });
    const expected = [0, 9 / 3, 16 / 3, 2 / 3];
    assert.equal(errors.length, 4);
    errors.forEach((e, i) => assert.ok(Math.abs(e - expected[i]) < 1e-5, `example ${i}: ${e}, expected ${expected[i]}`));
    pca.dispose();
  });

  it('averages to reconstructionMse, whatever the batch size', async () => {
    const random = new Random(4);
    const x = Float32Array.from({ length: 37 * 6 }, () => random.next());
    const data = makeDataset({ x, featureShape: [2, 3] });
    const pca = await Pca.fit(makeDataset({ x, featureShape: [6] }), { components: 2 });
    const model = { reconstruct: (t: tf.Tensor) => pca.reconstruct(t.reshape([-1, 6])).reshape(t.shape) };
    const [small, large] = [await reconstructionErrors(model, data, { batchSize: 5 }), await reconstructionErrors(model, data)];
    assert.deepEqual(Array.from(small), Array.from(large));
    const mean = small.reduce((s, v) => s + v, 0) / small.length;
    assert.ok(Math.abs(mean - (await reconstructionMse(model, data))) < 1e-6);
    pca.dispose();
  });

  it('refuses an empty dataset and a bad batch size', async () => {
    const model = { reconstruct: (t: tf.Tensor) => t };
    await assert.rejects(reconstructionErrors(model, makeDataset({ x: new Float32Array(0), featureShape: [2] })), /empty/);
    await assert.rejects(reconstructionErrors(model, makeDataset({ x: new Float32Array(4), featureShape: [2] }), { batchSize: 0 }), /batchSize/);
  });
});

describe('negativeElbos', () => {
  it('is minus the model\'s ELBO per example, averaged over `samples` seeded draws, and never reads the labels', async () => {
    // A stand-in whose ELBO is minus the row sum minus a number drawn from the seed: the test can
    // then tell which seeds were used and that the draws were averaged.
    const seen: number[] = [];
    const model = {
      elbo(x: tf.Tensor, seed: number, labels?: tf.Tensor1D): tf.Tensor1D {
        assert.equal(labels, undefined);
        seen.push(seed);
        return tf.tidy(() => x.reshape([x.shape[0], -1]).sum(1).neg().sub(seed % 7) as tf.Tensor1D);
      },
    };
    const data = makeDataset({ x: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), featureShape: [2], labels: Int32Array.from([0, 1, 0, 1, 0]), classCount: 2 });
    const scores = await negativeElbos(model, data, { seed: 11, samples: 3, batchSize: 2 });
    assert.equal(seen.length, 9, 'three batches, three draws each');
    for (let i = 0; i < 5; i++) {
      const batch = Math.floor(i / 2);
      const noise = [0, 1, 2].reduce((s, draw) => s + (mixSeed(11, batch, draw) % 7), 0) / 3;
      assert.ok(Math.abs(scores[i] - (data.x[2 * i] + data.x[2 * i + 1] + noise)) < 1e-4, `example ${i}: ${scores[i]}`);
    }
  });

  it('matches a real VAE\'s elbo with one draw, and its draws differ with the seed', async () => {
    const vae = new Vae({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 3 });
    const random = new Random(8);
    const x = Float32Array.from({ length: 4 * 6 }, () => random.next());
    const data = makeDataset({ x, featureShape: [6] });
    const scores = await negativeElbos(vae, data, { seed: 5 });
    const direct = tf.tidy(() => vae.elbo(tf.tensor2d(x, [4, 6]), mixSeed(5, 0, 0)).neg());
    const expected = await direct.data();
    direct.dispose();
    scores.forEach((s, i) => assert.ok(Math.abs(s - expected[i]) < 1e-4, `example ${i}: ${s} against ${expected[i]}`));
    assert.ok(scores.every((s) => s > 0), 'a Bernoulli decoder\'s negative ELBO is positive');
    const other = await negativeElbos(vae, data, { seed: 6 });
    assert.notDeepEqual(Array.from(other), Array.from(scores));
    await assert.rejects(negativeElbos(vae, data, { seed: 5, samples: 0 }), /samples/);
    vae.dispose();
  });
});

describe('nearestDistances', () => {
  it('is the distance to the nearest reference point, by brute force, also leaving each point out of its own set', async () => {
    const random = new Random(21);
    const points = (count: number) => ({ z: Float32Array.from({ length: count * 3 }, () => random.next() * 4), count, latentDim: 3 });
    const [query, reference] = [points(23), points(31)];
    const brute = (q: typeof query, r: typeof reference, skipSelf: boolean) =>
      Array.from({ length: q.count }, (_, i) => {
        let best = Infinity;
        for (let j = 0; j < r.count; j++) {
          if (skipSelf && i === j) continue;
          let s = 0;
          for (let k = 0; k < 3; k++) s += (q.z[i * 3 + k] - r.z[j * 3 + k]) ** 2;
          best = Math.min(best, Math.sqrt(s));
        }
        return best;
      });
    const found = await nearestDistances(query, reference);
    brute(query, reference, false).forEach((d, i) => assert.ok(Math.abs(found[i] - d) < 1e-3, `query ${i}: ${found[i]} against ${d}`));
    const self = await nearestDistances(reference, reference, { excludeSelf: true });
    brute(reference, reference, true).forEach((d, i) => assert.ok(Math.abs(self[i] - d) < 1e-3, `point ${i}: ${self[i]} against ${d}`));
    assert.ok(self.every((d) => d > 0.01), 'no point is its own neighbour');
  });
});

describe('quantile', () => {
  it('interpolates linearly between order statistics, as NumPy does by default', () => {
    // python3 -c "import numpy as np; print(np.quantile([4, 1, 3, 2], [0, 0.5, 0.95, 1]), np.quantile([3, 1, 2, 10, 7], 0.3))"
    // [1.   2.5  3.85 4.  ] 2.2
    const values = [4, 1, 3, 2];
    assert.equal(quantile(values, 0), 1);
    assert.equal(quantile(values, 0.5), 2.5);
    assert.ok(Math.abs(quantile(values, 0.95) - 3.85) < 1e-12);
    assert.equal(quantile(values, 1), 4);
    assert.ok(Math.abs(quantile([3, 1, 2, 10, 7], 0.3) - 2.2) < 1e-12);
    assert.equal(quantile([7], 0.4), 7);
    assert.deepEqual(values, [4, 1, 3, 2], 'the input is not reordered');
  });

  it('as a threshold, flags about the chosen share of the values it came from', () => {
    const random = new Random(2);
    const scores = Array.from({ length: 1000 }, () => random.next());
    const t = quantile(scores, 0.95);
    const flagged = scores.filter((s) => s >= t).length;
    assert.ok(flagged >= 50 && flagged <= 51, `${flagged} of 1000 flagged`);
  });

  it('refuses no values, NaN and q outside [0, 1]', () => {
    assert.throws(() => quantile([], 0.5), /no values/);
    assert.throws(() => quantile([1, NaN], 0.5), /values\[1\] is NaN/);
    assert.throws(() => quantile([1, 2], 1.5), /q must be in \[0, 1\]/);
    assert.throws(() => quantile([1, 2], NaN), /q must be in \[0, 1\]/);
  });
});
