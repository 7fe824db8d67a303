import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Corruption } from '../../src/data/corruption';
import { applyCorruption, corrupt } from '../../src/data/corruption';

before(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor) => [...t.dataSync()].map((v) => Math.round(v * 1e6) / 1e6);

describe('corruptions on hand-made noise', () => {
  it('gaussian adds std * noise and clips to [0, 1] unless told not to', () => {
    const x = tf.tensor1d([0.2, 0.9]);
    assert.deepEqual(values(applyCorruption(x, { kind: 'gaussian', std: 0.3 }, tf.tensor1d([1, -1]))), [0.5, 0.6]);
    assert.deepEqual(values(applyCorruption(x, { kind: 'gaussian', std: 0.3 }, tf.tensor1d([3, -4]))), [1, 0]);
    assert.deepEqual(values(applyCorruption(x, { kind: 'gaussian', std: 0.3, clip: false }, tf.tensor1d([3, -4]))), [1.1, -0.3]);
  });

  it('salt-and-pepper sets 0 below fraction/2, 1 below fraction, and keeps the rest', () => {
    const x = tf.tensor1d([0.3, 0.6, 0.9, 0.2]);
    assert.deepEqual(values(applyCorruption(x, { kind: 'salt-and-pepper', fraction: 0.1 }, tf.tensor1d([0.01, 0.04, 0.5, 0.07]))), [0, 0, 0.9, 1]);
  });

  it('masking sets 0 below fraction and keeps the rest', () => {
    const x = tf.tensor1d([0.3, 0.6, 0.9]);
    assert.deepEqual(values(applyCorruption(x, { kind: 'masking', fraction: 0.3 }, tf.tensor1d([0.05, 0.5, 0.29]))), [0, 0.6, 0]);
  });
});

describe('corrupt', () => {
  const x = tf.fill([100, 100], 0.5);
  const share = (t: tf.Tensor, v: number) => t.equal(v).sum().dataSync()[0] / t.size;

  it('corrupts the asked-for share of values, with the right statistics', () => {
    assert.ok(Math.abs(share(corrupt(x, { kind: 'masking', fraction: 0.25 }, 1), 0) - 0.25) < 0.02);
    const sp = corrupt(x, { kind: 'salt-and-pepper', fraction: 0.2 }, 2);
    assert.ok(Math.abs(share(sp, 0) - 0.1) < 0.015 && Math.abs(share(sp, 1) - 0.1) < 0.015, `${share(sp, 0)} ${share(sp, 1)}`);
    const g = corrupt(x, { kind: 'gaussian', std: 0.1, clip: false }, 3);
    const { mean, variance } = tf.moments(g);
    assert.ok(Math.abs(mean.dataSync()[0] - 0.5) < 0.005 && Math.abs(Math.sqrt(variance.dataSync()[0]) - 0.1) < 0.005);
  });

  it('is a function of the seed: same seed, same corruption; x is left alone', () => {
    const c: Corruption = { kind: 'masking', fraction: 0.5 };
    assert.deepEqual(values(corrupt(x, c, 7)), values(corrupt(x, c, 7)));
    assert.notDeepEqual(values(corrupt(x, c, 7)), values(corrupt(x, c, 8)));
    assert.equal(share(x, 0.5), 1);
    const before = tf.memory().numTensors;
    corrupt(x, c, 7).dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  });

  it('rejects bad specs with a message naming the field', () => {
    assert.throws(() => corrupt(x, { kind: 'blur' } as unknown as Corruption, 1), /corruption\.kind must be one of gaussian\|salt-and-pepper\|masking, got "blur"/);
    assert.throws(() => corrupt(x, { kind: 'gaussian', std: -1 }, 1), /corruption\.std must be a number >= 0, got -1/);
    assert.throws(() => corrupt(x, { kind: 'masking', fraction: 1.5 }, 1), /corruption\.fraction must be in \[0, 1\], got 1\.5/);
    assert.throws(() => applyCorruption(x, { kind: 'masking', fraction: 0.5 }, tf.zeros([3])), /noise \[3\] must have the shape of x \[100, 100\]/);
  });
});
