import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ConvAutoencoder } from '../../src/models/conv-autoencoder';

before(async () => {
  await tf.setBackend('cpu');
});

const paramCount = (m: { trainableVariables: readonly tf.Variable[] }) => m.trainableVariables.reduce((a, v) => a + v.size, 0);

describe('ConvAutoencoder', () => {
  it('is the lecture model with filters [32, 32] on MNIST: 28,353 parameters, a 7x7x32 code', () => {
    const m = new ConvAutoencoder({ inputShape: [28, 28, 1], filters: [32, 32], seed: 1 });
    assert.equal(paramCount(m), 28353);
    assert.deepEqual(m.codeMapShape, [7, 7, 32]);
    assert.equal(m.latentDim, 1568);
    const x = tf.randomUniform([2, 784], 0, 1, 'float32', 1);
    assert.deepEqual(m.encode(x).shape, [2, 1568]);
    assert.deepEqual(m.reconstruct(x).shape, [2, 784]);
    assert.deepEqual(m.decode(tf.zeros([3, 1568])).shape, [3, 28, 28, 1]);
    const r = m.reconstruct(x.reshape([2, 28, 28, 1])).dataSync();
    assert.ok(r.every((v) => v > 0 && v < 1), 'sigmoid output in (0, 1)');
    m.dispose();
  });

  it('works in 1-D on [length, channels] signals, with an optional dense code', () => {
    const m = new ConvAutoencoder({ inputShape: [32, 3], filters: [8, 4], kernelSize: 5, latentDim: 6, outputActivation: 'linear', loss: 'mse', seed: 2 });
    // conv 5*3*8+8, conv 5*8*4+4, dense 32->6 and 6->32, convT 5*4*4+4, convT 5*4*8+8, conv 5*8*3+3
    assert.equal(paramCount(m), 128 + 164 + (32 * 6 + 6) + (6 * 32 + 32) + 84 + 168 + 123);
    assert.deepEqual(m.codeMapShape, [8, 1, 4]);
    const x = tf.randomNormal([5, 32, 3], 0, 1, 'float32', 3);
    assert.deepEqual(m.encode(x).shape, [5, 6]);
    assert.deepEqual(m.reconstruct(x).shape, [5, 32, 3]);
    assert.deepEqual(m.decode(tf.zeros([1, 6])).shape, [1, 32, 3]);
    m.dispose();
  });

  it('lowers its loss when trained: 20 Adam steps on one batch', async () => {
    const m = new ConvAutoencoder({ inputShape: [8, 8, 1], filters: [4], seed: 3 });
    const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 4);
    const opt = tf.train.adam(0.01);
    const first = m.computeLoss({ x }).total.dataSync()[0];
    for (let i = 0; i < 20; i++) opt.minimize(() => m.computeLoss({ x }).total, false, m.trainableVariables as tf.Variable[]);
    const last = m.computeLoss({ x }).total.dataSync()[0];
    assert.ok(last < first * 0.95, `loss ${first} -> ${last}`);
    m.dispose();
  });

  it('rejects bad configs and wrong inputs with the argument named', () => {
    assert.throws(() => new ConvAutoencoder({ inputShape: [28, 28, 1, 1], filters: [4], seed: 1 }), /inputShape must be \[height, width, channels\] or \[length, channels\]/);
    assert.throws(() => new ConvAutoencoder({ inputShape: [28, 28, 1], filters: [], seed: 1 }), /filters must name at least one block/);
    assert.throws(() => new ConvAutoencoder({ inputShape: [28, 28, 1], filters: [4, 4, 4], seed: 1 }), /divisible by 8/);
    assert.throws(() => new ConvAutoencoder({ inputShape: [28, 28, 1], filters: [4.5], seed: 1 }), /filters\[0\] must be a positive integer/);
    assert.throws(() => new ConvAutoencoder({ inputShape: [8, 1], filters: [4], loss: 'bce', outputActivation: 'linear', seed: 1 }), /needs outputActivation "sigmoid"/);
    const m = new ConvAutoencoder({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
    assert.throws(() => m.encode(tf.zeros([2, 8, 7, 1])), /expected x of shape \[batch, 8, 8, 1\] \(or 64 values per example\), got \[2, 8, 7, 1\]/);
    assert.throws(() => m.decode(tf.zeros([2, 5])), /expected z of shape \[batch, 64\], got \[2, 5\]/);
    m.dispose();
  });
});
