import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { dotCopyShare, singleDotImages } from '../../src/evaluation/copy-test';

before(async () => {
  await tf.setBackend('cpu');
});

describe('the dot-copy test', () => {
  it('draws one lit pixel per image on the grid', () => {
    const dots = singleDotImages({ height: 28, width: 28, from: 8, to: 20, step: 3 });
    assert.deepEqual(dots.pixels.slice(0, 3), [8 * 28 + 8, 8 * 28 + 11, 8 * 28 + 14]);
    assert.equal(dots.pixels.length, 25);
    assert.deepEqual(dots.images.shape, [25, 784]);
    assert.deepEqual([...dots.images.sum(1).dataSync()], new Array(25).fill(1));
    assert.equal(dots.images.argMax(1).dataSync()[24], 20 * 28 + 20);
    dots.images.dispose();
    assert.throws(() => singleDotImages({ height: 28, width: 28, from: 8, to: 28, step: 3 }), /need integers 0 <= from <= to < 28, got from 8, to 28/);
  });

  it('scores 1 for a copying model, 0 for a model that draws its own picture, in any input shape', async () => {
    const dots = singleDotImages({ height: 4, width: 4, from: 0, to: 3, step: 1 });
    const copy = { reconstruct: (x: tf.Tensor) => x.clone() };
    const blur = { reconstruct: (x: tf.Tensor) => tf.tidy(() => tf.oneHot(tf.fill([x.shape[0]], 5, 'int32'), 16).toFloat().reshape(x.shape)) };
    // Copies half of the dots: those in the top two rows.
    const half = { reconstruct: (x: tf.Tensor) => tf.tidy(() => x.reshape([16, 16]).mul(tf.tensor1d([...new Array(8).fill(1), ...new Array(8).fill(0)])).add(tf.oneHot(tf.fill([16], 0, 'int32'), 16).mul(0.5)).reshape(x.shape)) };
    assert.equal(await dotCopyShare(copy, dots), 1);
    assert.equal(await dotCopyShare(copy, dots, [4, 4, 1]), 1);
    assert.equal(await dotCopyShare(blur, dots), 1 / 16, 'only the dot at pixel 5 counts as copied');
    assert.equal(await dotCopyShare(half, dots), 8 / 16);
    const before = tf.memory().numTensors;
    await dotCopyShare(copy, dots);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    await assert.rejects(dotCopyShare(copy, dots, [3, 3]), /inputShape \[3, 3\] holds 9 values, the dot images 16/);
    dots.images.dispose();
  });
});
