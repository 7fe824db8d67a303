import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { estimateLogLikelihood, logMeanExp, meanWithError } from '../../src/evaluation/likelihood';
import { VariationalAutoencoder } from '../../src/models/variational-autoencoder';
import { DenseStack } from '../../src/nn/dense-stack';
import { GaussianEncoder, GaussianHead } from '../../src/nn/gaussian';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

describe('logMeanExp', () => {
  it('is log of the mean of exp, also where exp underflows', () => {
    const v = [0.5, -1, 2, 0];
    assert.ok(Math.abs(logMeanExp(v) - Math.log(v.reduce((s, a) => s + Math.exp(a), 0) / 4)) < 1e-12);
    assert.ok(Math.abs(logMeanExp([-1000, -1001]) - (-1000 + Math.log((1 + Math.exp(-1)) / 2))) < 1e-9);
    assert.equal(logMeanExp([7]), 7);
    assert.equal(logMeanExp([-Infinity, -Infinity]), -Infinity);
    assert.throws(() => logMeanExp([]), /no values/);
    assert.throws(() => logMeanExp([1, NaN]), /values\[1\] is NaN/);
  });
});

describe('meanWithError', () => {
  it('gives the mean and the standard error of the mean, and keeps the values', () => {
    const r = meanWithError([1, 2, 3, 4]);
    assert.equal(r.mean, 2.5);
    assert.ok(Math.abs(r.standardError - Math.sqrt(5 / 3) / 2) < 1e-12);
    assert.deepEqual(Array.from(r.perExample), [1, 2, 3, 4]);
    assert.equal(meanWithError([7]).standardError, 0);
    assert.throws(() => meanWithError([]), /no values/);
  });
});

/** log N(x; b, W^T W + I) (W is `[d, D]`) by Cholesky: the exact log p(x) of a linear Gaussian decoder with z ~ N(0, I). */
function linearGaussianLogDensity(x: number[], w: number[][], b: number[]): number {
  const n = x.length;
  const c = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => w.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? 1 : 0)));
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = c[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  }
  const r = x.map((v, i) => v - b[i]);
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = r[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const logDet = 2 * l.reduce((s, row, i) => s + Math.log(row[i]), 0);
  return -0.5 * (y.reduce((s, v) => s + v * v, 0) + logDet + n * Math.log(2 * Math.PI));
}

describe('estimateLogLikelihood', () => {
  // A linear decoder with unit-variance Gaussian noise has log p(x) in closed form, whatever q is.
  const scope = ParameterScope.create('lin', 3);
  const trunk = new DenseStack(scope.child('encoder'), { inputDim: 5, widths: [6], outputActivation: 'relu' });
  const encoder = new GaussianEncoder(trunk, new GaussianHead(scope.child('encoder'), { inputDim: 6, latentDim: 2 }));
  const decoder = new DenseStack(scope.child('decoder'), { inputDim: 2, widths: [5] });
  const model = new VariationalAutoencoder({ inputShape: [5], loss: 'mse', seed: 3 }, encoder, decoder);
  const data = makeDataset({ x: Float32Array.from({ length: 5 * 60 }, (_, i) => Math.sin(i * 1.7) * 1.5), featureShape: [5] });

  it('converges to the exact log p(x) of a linear Gaussian model, from below, rising with k', async () => {
    const byName = (suffix: string) => model.namedVariables.find((v) => v.name.endsWith(suffix))!.variable;
    const w = byName('decoder/0/w').arraySync() as number[][];
    const b = byName('decoder/0/b').arraySync() as number[];
    const rows = Array.from({ length: data.count }, (_, i) => Array.from(data.x.subarray(i * 5, i * 5 + 5)));
    const exact = rows.reduce((s, row) => s + linearGaussianLogDensity(row, w, b), 0) / data.count;
    const report = await estimateLogLikelihood(model, data, { samples: [1, 10, 100, 3000], seed: 5, progress: false, codesPerBatch: 6000 });
    assert.equal(report.examples, 60);
    assert.deepEqual(report.estimates.map((e) => e.samples), [1, 10, 100, 3000]);
    const means = report.estimates.map((e) => e.mean);
    for (let i = 1; i < means.length; i++) assert.ok(means[i] >= means[i - 1] - 0.01, `the bound rises with k (up to noise once it has converged): ${means.join(', ')}`);
    assert.ok(means[0] < exact - 0.1, `with an untrained q the k = 1 bound is loose: ${means[0]} vs ${exact}`);
    assert.ok(Math.abs(means[3] - exact) < 0.02, `k = 3000: ${means[3]} vs exact ${exact}`);
    const last = report.estimates[3].perExample;
    assert.ok(last.length === 60 && Math.abs(last.reduce((s, v) => s + v, 0) / 60 - means[3]) < 1e-9);
    assert.equal(report.elbo.perExample.length, 60);
    assert.ok(report.elbo.mean < means[3] - 0.1, `the ELBO ${report.elbo.mean} is below the 3000-sample bound ${means[3]}`);
  });

  it('gives an ELBO that k = 1 matches in expectation, and refuses bad sample lists', async () => {
    const many = makeDataset({ x: Float32Array.from({ length: 5 * 400 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.11)), featureShape: [5] });
    const report = await estimateLogLikelihood(model, many, { samples: [1, 10], seed: 2, progress: false });
    const gap = Math.abs(report.elbo.mean - report.estimates[0].mean);
    assert.ok(gap < 4 * Math.hypot(report.elbo.standardError, report.estimates[0].standardError), `ELBO ${report.elbo.mean} vs k = 1 ${report.estimates[0].mean}`);
    await assert.rejects(estimateLogLikelihood(model, many, { samples: [10, 1], seed: 1, progress: false }), /samples must ascend/);
    await assert.rejects(estimateLogLikelihood(model, many, { samples: [0], seed: 1, progress: false }), /samples\[0\] must be a positive integer/);
  });
});
