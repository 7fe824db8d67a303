import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { Autoencoder } from '../../src/models/autoencoder';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { ConvEncoder } from '../../src/nn/conv-stack';
import { DenseStack } from '../../src/nn/dense-stack';
import { ParameterScope } from '../../src/nn/params';
import { train } from '../../src/training/trainer';

before(async () => {
  await tf.setBackend('cpu');
});

const images = (n: number, seed: number) => tf.tidy(() => tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', seed).greater(0.6).toFloat());

describe('Autoencoder (the objective over an encoder and a decoder)', () => {
  it('built from the same parts and seed is DenseAutoencoder: same weights, same loss', () => {
    const dense = new DenseAutoencoder({ inputDim: 64, hiddenSizes: [16], latentDim: 3, seed: 5 });
    const scope = ParameterScope.create('mine', 5);
    const encoder = new DenseStack(scope.child('encoder'), { inputDim: 64, widths: [16, 3] });
    const decoder = new DenseStack(scope.child('decoder'), { inputDim: 3, widths: [16, 64] });
    const composed = new Autoencoder({ inputShape: [64], latentDim: 3, seed: 5 }, encoder, decoder);
    assert.deepEqual(composed.namedVariables.map((v) => v.name), dense.namedVariables.map((v) => v.name));
    composed.namedVariables.forEach((v, i) => assert.deepEqual(Array.from(v.variable.dataSync()), Array.from(dense.namedVariables[i].variable.dataSync())));
    const x = images(4, 1).reshape([4, 64]);
    assert.equal(composed.computeLoss({ x }).total.dataSync()[0], dense.computeLoss({ x }).total.dataSync()[0]);
    assert.equal(composed.name, 'autoencoder');
  });

  it('composes a conv encoder with a dense decoder, gives images back, and learns (its loss falls below the untrained one)', async () => {
    const scope = ParameterScope.create('mixed', 2);
    const encoder = new ConvEncoder(scope.child('encoder'), { inputShape: [8, 8, 1], filters: [4], latentDim: 6 });
    const decoder = new DenseStack(scope.child('decoder'), { inputDim: 6, widths: [32, 64] });
    const model = new Autoencoder({ inputShape: [8, 8, 1], latentDim: 6, seed: 2 }, encoder, decoder);
    const x = images(64, 3);
    assert.deepEqual(model.reconstruct(x).shape, [64, 8, 8, 1]);
    assert.deepEqual(model.summary().map((r) => r.layer), ['encoder/0', 'encoder/0/pool', 'encoder/code', 'decoder/0', 'decoder/1']);
    const data = makeDataset({ x: x.dataSync() as Float32Array, featureShape: [8, 8, 1] });
    const before = model.computeLoss({ x }).total.dataSync()[0];
    await train(model, { train: data, epochs: 15, batchSize: 16, seed: 1, learningRate: 0.01, progress: false });
    const after = model.computeLoss({ x }).total.dataSync()[0];
    assert.ok(after < 0.8 * before, `loss ${before.toFixed(2)} -> ${after.toFixed(2)}`);
  });

  it('refuses a contractive penalty on an encoder that has no closed form, and a bce loss without a sigmoid', () => {
    const scope = ParameterScope.create('bad', 1);
    const deep = new DenseStack(scope.child('encoder'), { inputDim: 4, widths: [3, 2], outputActivation: 'sigmoid' });
    const decoder = new DenseStack(scope.child('decoder'), { inputDim: 2, widths: [4] });
    assert.throws(() => new Autoencoder({ inputShape: [4], latentDim: 2, contractiveWeight: 1, seed: 1 }, deep, decoder), /contractiveWeight needs an encoder of one sigmoid dense layer/);
    assert.throws(() => new Autoencoder({ inputShape: [4], latentDim: 2, outputActivation: 'linear', seed: 1 }, deep, decoder), /loss "bce" needs outputActivation "sigmoid"/);
    const model = new Autoencoder({ inputShape: [4], latentDim: 2, seed: 1 }, deep, decoder);
    assert.throws(() => model.decode(tf.zeros([1, 3]) as tf.Tensor2D), /autoencoder\.decode: expected z of shape \[batch, 2\], got \[1, 3\]/);
  });
});
