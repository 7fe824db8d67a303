import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { standardNormal, VariationalAutoencoder } from '../../src/models/variational-autoencoder';
import { mixSeed, Random } from '../../src/core/random';
import { bernoulliDraw, uniformNoise } from '../../src/data/binarize';
import { Vae } from '../../src/models/vae';
import { DenseStack } from '../../src/nn/dense-stack';
import { GaussianEncoder, GaussianHead } from '../../src/nn/gaussian';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

function composed(seed: number, options: { beta?: number; loss?: 'bce' | 'mse'; klWarmupEpochs?: number; dynamicBinarization?: boolean } = {}): VariationalAutoencoder {
  const scope = ParameterScope.create('mine', seed);
  const trunk = new DenseStack(scope.child('encoder'), { inputDim: 20, widths: [8], outputActivation: 'relu' });
  const head = new GaussianHead(scope.child('encoder'), { inputDim: 8, latentDim: 3 });
  const decoder = new DenseStack(scope.child('decoder'), { inputDim: 3, widths: [8, 20] });
  return new VariationalAutoencoder({ inputShape: [20], seed, ...options }, new GaussianEncoder(trunk, head), decoder);
}

describe('VariationalAutoencoder (the objective over a Gaussian encoder and a decoder)', () => {
  it('built from the same parts and seed is Vae: same weights, same negative ELBO at the same step', () => {
    const vae = new Vae({ inputDim: 20, hiddenSizes: [8], latentDim: 3, beta: 2, seed: 4 });
    const mine = composed(4, { beta: 2 });
    assert.deepEqual(mine.namedVariables.map((v) => v.name), vae.namedVariables.map((v) => v.name));
    const x = tf.randomUniform([5, 20], 0, 1, 'float32', 1);
    const a = mine.computeLoss({ x }, { training: true, step: 7 });
    const b = vae.computeLoss({ x }, { training: true, step: 7 });
    for (const term of ['total', 'reconstruction', 'kl']) assert.equal(a[term].dataSync()[0], b[term].dataSync()[0], term);
    assert.equal(a.total.dataSync()[0], a.reconstruction.dataSync()[0] + 2 * a.kl.dataSync()[0]);
  });

  it('samples from the prior: the same seed gives the same examples, another seed others, in the data range', () => {
    const model = composed(3);
    const a = model.sample(6, 11);
    assert.deepEqual(a.shape, [6, 20]);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(model.sample(6, 11).dataSync()));
    assert.notDeepEqual(Array.from(a.dataSync()), Array.from(model.sample(6, 12).dataSync()));
    assert.ok(Array.from(a.dataSync()).every((v) => v > 0 && v < 1), 'a Bernoulli decoder gives means in (0, 1)');
    // A sample is the decoder at z ~ N(0, I): the examples differ from one another.
    const rows = a.arraySync() as number[][];
    assert.notDeepEqual(rows[0], rows[1]);
    assert.throws(() => model.sample(0, 1), /count must be a positive integer/);
  });

  it('refuses a negative beta and an unknown loss', () => {
    assert.throws(() => composed(1, { beta: -1 }), /beta must be a number >= 0, got -1/);
    assert.throws(() => composed(1, { loss: 'l1' as 'mse' }), /loss must be bce\|mse, got "l1"/);
  });
});

describe('VariationalAutoencoder: KL warm-up, the ELBO per example and importance weights', () => {
  const x = tf.tidy(() => tf.randomUniform([6, 20], 0, 1, 'float32', 5).greater(0.5).toFloat()) as tf.Tensor2D;

  it('warms the KL weight up linearly over klWarmupEpochs in training; evaluation uses beta', () => {
    const model = composed(2, { beta: 2, klWarmupEpochs: 4 });
    const terms = (options: { training?: boolean; step?: number; epoch?: number }) => {
      const t = model.computeLoss({ x }, options);
      return [t.total, t.reconstruction, t.kl].map((s) => s.dataSync()[0]);
    };
    for (const [epoch, weight] of [[1, 0.5], [2, 1], [4, 2], [9, 2]] as const) {
      const [total, reconstruction, kl] = terms({ training: true, step: 3, epoch });
      assert.ok(Math.abs(total - (reconstruction + weight * kl)) < 1e-4, `epoch ${epoch}: weight ${weight}`);
      assert.equal(model.klWeight(epoch), weight);
    }
    const [total, reconstruction, kl] = terms({ step: 0 });
    assert.ok(Math.abs(total - (reconstruction + 2 * kl)) < 1e-4);
    assert.equal(composed(2, { beta: 2 }).klWeight(1), 2, 'no warm-up by default');
    assert.throws(() => composed(1, { klWarmupEpochs: 1.5 }), /klWarmupEpochs must be an integer >= 0, got 1.5/);
  });

  it('gives log p(x|z) of a Bernoulli and of a unit-variance Gaussian decoder as written out by hand', () => {
    const logits = tf.tensor2d([[0.3, -2, 4], [-1, 0, 1.5]]);
    const target = tf.tensor2d([[1, 0, 1], [0, 1, 0.25]]);
    const l = logits.arraySync();
    const t = target.arraySync();
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const bce = l.map((row, i) => row.reduce((s, v, j) => s + t[i][j] * Math.log(sigmoid(v)) + (1 - t[i][j]) * Math.log(1 - sigmoid(v)), 0));
    const gauss = l.map((row, i) => row.reduce((s, v, j) => s - 0.5 * (t[i][j] - v) ** 2 - 0.5 * Math.log(2 * Math.PI), 0));
    const shaped = (loss: 'bce' | 'mse') => new VariationalAutoencoder({ inputShape: [3], seed: 1, loss }, composedEncoder(3), new DenseStack(ParameterScope.create('d', 1), { inputDim: 2, widths: [3] }));
    const got = { bce: shaped('bce').decoderLogLikelihood(target, logits).arraySync(), mse: shaped('mse').decoderLogLikelihood(target, logits).arraySync() };
    got.bce.forEach((v, i) => assert.ok(Math.abs(v - bce[i]) < 1e-5, `bce ${v} vs ${bce[i]}`));
    got.mse.forEach((v, i) => assert.ok(Math.abs(v - gauss[i]) < 1e-5, `mse ${v} vs ${gauss[i]}`));
  });

  it('gives the ELBO per example: log p(x|z) at the seeded sample minus the closed-form KL; its mean is minus the loss at beta 1 in expectation', () => {
    const model = composed(6);
    const got = Array.from(model.elbo(x, 21).dataSync());
    const q = model.posterior(x);
    const z = q.mean.add(q.logVar.mul(0.5).exp().mul(standardNormal(6, 3, new Random(21)))) as tf.Tensor2D;
    const logPx = model.decoderLogLikelihood(x, model.decodeLogits(z)).arraySync();
    const m = q.mean.arraySync();
    const lv = q.logVar.arraySync();
    got.forEach((v, i) => {
      const kl = -0.5 * m[i].reduce((s, mu, j) => s + 1 + lv[i][j] - mu * mu - Math.exp(lv[i][j]), 0);
      assert.ok(Math.abs(v - (logPx[i] - kl)) < 1e-4, `example ${i}: ${v} vs ${logPx[i] - kl}`);
    });
    let mean = 0;
    let loss = 0;
    for (let s = 0; s < 200; s++) {
      mean += model.elbo(x, s).mean().dataSync()[0] / 200;
      loss += model.computeLoss({ x }, { step: s }).total.dataSync()[0] / 200;
    }
    assert.ok(Math.abs(mean + loss) < 0.05 * Math.abs(loss), `mean ELBO ${mean} vs loss ${loss}`);
  });

  it('gives importance weights log p(x|z) + log p(z) - log q(z|x) per seeded sample, row by row', () => {
    const model = composed(7);
    const k = 3;
    const first = x.slice([0, 0], [2, 20]) as tf.Tensor2D;
    const w = model.importanceLogWeights(first, k, 9).arraySync();
    assert.equal(w.length, 2);
    assert.equal(w[0].length, k);
    const random = new Random(9);
    const q = model.posterior(first);
    const m = q.mean.arraySync();
    const lv = q.logVar.arraySync();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < k; j++) {
        const eps = [random.normal(), random.normal(), random.normal()];
        const z = eps.map((e, d) => m[i][d] + Math.exp(lv[i][d] / 2) * e);
        const logQ = eps.reduce((s, e, d) => s - 0.5 * (e * e + lv[i][d] + Math.log(2 * Math.PI)), 0);
        const logP = z.reduce((s, v) => s - 0.5 * (v * v + Math.log(2 * Math.PI)), 0);
        const logPx = model.decoderLogLikelihood(x.slice([i, 0], [1, 20]) as tf.Tensor2D, model.decodeLogits(tf.tensor2d([z]))).dataSync()[0];
        assert.ok(Math.abs(w[i][j] - (logPx + logP - logQ)) < 1e-3, `example ${i}, sample ${j}: ${w[i][j]} vs ${logPx + logP - logQ}`);
      }
    }
    assert.throws(() => model.importanceLogWeights(x, 0, 1), /samples must be a positive integer/);
  });
});

/** A Gaussian encoder from `inputDim` values to a 2-D code. */
function composedEncoder(inputDim: number): GaussianEncoder {
  const scope = ParameterScope.create('e', 1);
  const trunk = new DenseStack(scope.child('encoder'), { inputDim, widths: [4], outputActivation: 'relu' });
  return new GaussianEncoder(trunk, new GaussianHead(scope.child('encoder'), { inputDim: 4, latentDim: 2 }));
}

describe('VariationalAutoencoder: dynamic binarisation', () => {
  it('trains on a Bernoulli draw of each batch, new at every step; evaluation takes the batch as it is', () => {
    const x = tf.randomUniform([4, 20], 0, 1, 'float32', 2) as tf.Tensor2D;
    const dynamic = composed(8, { dynamicBinarization: true });
    const plain = composed(8);
    const total = (model: VariationalAutoencoder, input: tf.Tensor, options: { training?: boolean; step?: number }) => model.computeLoss({ x: input }, options).total.dataSync()[0];
    const drawn = bernoulliDraw(x, uniformNoise([4, 20], mixSeed(mixSeed(8, 3), 2)));
    assert.ok(Array.from(drawn.dataSync()).every((v) => v === 0 || v === 1));
    assert.equal(total(dynamic, x, { training: true, step: 3 }), total(plain, drawn, { training: true, step: 3 }));
    assert.notEqual(total(dynamic, x, { training: true, step: 3 }), total(plain, x, { training: true, step: 3 }));
    assert.equal(total(dynamic, x, { step: 0 }), total(plain, x, { step: 0 }));
  });
});
