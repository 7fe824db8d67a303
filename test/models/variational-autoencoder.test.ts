import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { VariationalAutoencoder } from '../../src/models/variational-autoencoder';
import { Vae } from '../../src/models/vae';
import { DenseStack } from '../../src/nn/dense-stack';
import { GaussianEncoder, GaussianHead } from '../../src/nn/gaussian';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

function composed(seed: number, options: { beta?: number; loss?: 'bce' | 'mse' } = {}): VariationalAutoencoder {
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
