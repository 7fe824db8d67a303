import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { maxPool1d, maxUnpool1d } from '../../src/nn/pool1d';
import { conv1dTranspose } from '../../src/nn/pytorch-conv';
import { values } from '../support/backend-compare';
import { checkGradient, t3, weighted } from '../support/gradient-check';

before(async () => {
  await tf.setBackend('cpu');
});

describe('maxPool1d and maxUnpool1d', () => {
  it('pools a hand-made signal, keeps the argmax positions (first on ties) and puts values back there', () => {
    const x = tf.tensor3d([1, 5, 3, 2, 2, 2, 9, 0, 7], [1, 9, 1]);
    const { y, indices } = maxPool1d(x, 2);
    assert.deepEqual(Array.from(y.dataSync()), [5, 3, 2, 9]);
    assert.deepEqual(Array.from(indices.dataSync()), [1, 2, 4, 6]);
    assert.equal(indices.dtype, 'int32');
    assert.deepEqual(Array.from(maxUnpool1d(y, indices, 2).dataSync()), [0, 5, 3, 0, 2, 0, 9, 0]);
    assert.deepEqual(Array.from(maxUnpool1d(y, indices, 2, 9).dataSync()), [0, 5, 3, 0, 2, 0, 9, 0, 0]);
  });

  it('pools each channel and batch row on its own', () => {
    const x = tf.tensor3d([1, 10, 4, 20, 3, 30, 2, 40], [1, 4, 2]); // channel 0: 1 4 3 2, channel 1: 10 20 30 40
    const { y, indices } = maxPool1d(x, 2);
    assert.deepEqual(Array.from(y.dataSync()), [4, 20, 3, 40]);
    assert.deepEqual(Array.from(indices.dataSync()), [1, 1, 2, 3]);
  });

  it('gradients match central differences: pooling sends it to the argmax, unpooling gathers it from there', () => {
    const shape: [number, number, number] = [2, 12, 3];
    const xs = values(2 * 12 * 3, 9);
    checkGradient((x) => weighted(maxPool1d(x as tf.Tensor3D, 3).y, 10), xs, shape, 'd maxPool1d / dx', 1e-3);
    const { indices } = maxPool1d(tf.tensor3d(xs, shape), 3);
    const ys = values(2 * 4 * 3, 11);
    checkGradient((y) => weighted(maxUnpool1d(y as tf.Tensor3D, indices, 3, 13), 12), ys, [2, 4, 3], 'd maxUnpool1d / dy');
    // Pooling what was unpooled finds the same positive values at the same places.
    const positive = tf.tensor3d(ys.map((v) => Math.abs(v) + 0.1), [2, 4, 3]);
    const again = maxPool1d(maxUnpool1d(positive, indices, 3), 3);
    checkClose(again.y.dataSync(), positive.dataSync(), 0, 'pool(unpool(y)) = y');
    assert.deepEqual(Array.from(again.indices.dataSync()), Array.from(indices.dataSync()));
  });

  it('rejects a bad size, short input and indices of the wrong shape or type', () => {
    assert.throws(() => maxPool1d(tf.zeros([1, 4, 1]) as tf.Tensor3D, 0), /maxPool1d: size must be a positive integer, got 0/);
    assert.throws(() => maxPool1d(tf.zeros([1, 1, 1]) as tf.Tensor3D, 2), /length 1 is shorter than one window of 2/);
    assert.throws(() => maxUnpool1d(tf.zeros([1, 2, 1]) as tf.Tensor3D, tf.zeros([1, 2, 1]) as tf.Tensor3D, 2), /indices must be int32 shaped like y \[1, 2, 1\], got float32/);
    assert.throws(() => maxUnpool1d(tf.zeros([1, 2, 1]) as tf.Tensor3D, tf.zeros([1, 2, 1], 'int32') as tf.Tensor3D, 2, 3), /outputLength must be an integer >= 4/);
  });

  it('leaves no tensors behind', () => {
    const x = t3(24, [2, 6, 2], 1);
    const filter = t3(3 * 2 * 2, [3, 2, 2], 2);
    const before = tf.memory().numTensors;
    const { y, indices } = maxPool1d(x, 2);
    const u = maxUnpool1d(y, indices, 2);
    const t = conv1dTranspose(u, filter, { stride: 2, padding: 1, outputPadding: 1 });
    assert.equal(tf.memory().numTensors, before + 4);
    tf.dispose([y, indices, u, t]);
    assert.equal(tf.memory().numTensors, before);
  });
});
