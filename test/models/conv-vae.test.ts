import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as lib from '../../src/index';
import { registerWasmKernels } from '../../src/kernels/wasm-kernels';
import { ConvVae } from '../../src/models/conv-vae';
import { train } from '../../src/training/trainer';
import { smallDigits } from '../support/small-digits';

before(async () => {
  await tf.setBackend('cpu');
});

describe('ConvVae', () => {
  it('is a conv encoder, a Gaussian head and a conv decoder: its layers, shapes and parameter count', () => {
    const model = new ConvVae({ inputShape: [28, 28, 1], filters: [8, 16], latentDim: 2, seed: 1 });
    assert.equal(lib.ConvVae, ConvVae, 'exported from the library');
    const rows = model.summary();
    assert.deepEqual(rows.map((r) => [r.layer, r.outputShape]), [
      ['encoder/0', [28, 28, 8]],
      ['encoder/0/pool', [14, 14, 8]],
      ['encoder/1', [14, 14, 16]],
      ['encoder/1/pool', [7, 7, 16]],
      ['encoder/mean', [2]],
      ['encoder/logVar', [2]],
      ['decoder/code', [784]],
      ['decoder/0', [14, 14, 16]],
      ['decoder/1', [28, 28, 8]],
      ['decoder/output', [28, 28, 1]],
    ]);
    // conv 3x3x1x8+8, conv 3x3x8x16+16, two heads 784x2+2, dense 2x784+784, convT 3x3x16x16+16, convT 3x3x16x8+8, conv 3x3x8x1+1.
    const expected = 80 + 1168 + 2 * 1570 + 2352 + 2320 + 1160 + 73;
    assert.equal(rows.reduce((s, r) => s + r.params, 0), expected);
    assert.equal(model.trainableVariables.reduce((s, v) => s + v.size, 0), expected);
    const x = tf.zeros([3, 28, 28, 1]);
    assert.deepEqual(model.reconstruct(x).shape, [3, 28, 28, 1]);
    assert.deepEqual(model.embed(x).shape, [3, 2]);
    assert.deepEqual(model.sample(4, 1).shape, [4, 28, 28, 1]);
    assert.equal(model.name, 'conv-vae');
  });

  it('learns digits: after training, the negative ELBO on held-out digits is well below the untrained model and below an all-mean decoder', async () => {
    // Trained on wasm: the cpu backend's convolutions are too slow for a test.
    registerWasmKernels();
    await tf.setBackend('wasm');
    const trainSet = smallDigits(0, 1024);
    const heldOut = smallDigits(5000, 128);
    const model = new ConvVae({ inputShape: [12, 12, 1], filters: [8, 16], latentDim: 4, seed: 2 });
    const untrained = model.computeLoss({ x: heldOut.x }, { step: 0 }).total.dataSync()[0];
    // A decoder that outputs each pixel's mean over the training digits (and a zero KL) scores this:
    const meanDecoder = tf.tidy(() => {
      const mean = trainSet.x.reshape([1024, 144]).mean(0).clipByValue(1e-4, 1 - 1e-4);
      const flat = heldOut.x.reshape([128, 144]);
      return flat.mul(mean.log()).add(tf.scalar(1).sub(flat).mul(tf.scalar(1).sub(mean).log())).sum(1).mean().neg().dataSync()[0];
    });
    await train(model, { train: trainSet.set, epochs: 8, batchSize: 32, seed: 1, learningRate: 5e-3, progress: false });
    const trained = model.computeLoss({ x: heldOut.x }, { step: 0 }).total.dataSync()[0];
    console.log(`conv-vae: untrained ${untrained.toFixed(1)}, trained ${trained.toFixed(1)}, mean image ${meanDecoder.toFixed(1)}`);
    assert.ok(trained < 0.6 * untrained, `negative ELBO ${untrained.toFixed(1)} -> ${trained.toFixed(1)}`);
    assert.ok(trained < meanDecoder, `negative ELBO ${trained.toFixed(1)} vs ${meanDecoder.toFixed(1)} for the mean image`);
    await tf.setBackend('cpu');
  });

  it('rejects bad configs with the field named', () => {
    assert.throws(() => new ConvVae({ inputShape: [28, 28, 1], filters: [8, 8, 8], latentDim: 2, seed: 1 }), /divisible by 8/);
    assert.throws(() => new ConvVae({ inputShape: [28, 28, 1], latentDim: 0, seed: 1 }), /latentDim must be a positive integer/);
    assert.throws(() => new ConvVae({ inputShape: [28, 28, 1], latentDim: 2, beta: -1, seed: 1 }), /beta must be a number >= 0/);
  });
});
