import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { bernoulliDraw, binarize, uniformNoise } from '../../src/data/binarize';
import { makeDataset } from '../../src/data/dataset';

before(async () => {
  await tf.setBackend('cpu');
});

describe('binarisation', () => {
  it('binarize draws each value as a Bernoulli of its grey level, the same for the same seed', () => {
    const grey = [0, 0.1, 0.5, 0.9, 1];
    const data = makeDataset({ x: Float32Array.from({ length: 5 * 4000 }, (_, i) => grey[i % 5]), featureShape: [5] });
    const a = binarize(data, 3);
    assert.ok(a.x.every((v) => v === 0 || v === 1));
    grey.forEach((g, j) => {
      let ones = 0;
      for (let i = j; i < a.x.length; i += 5) ones += a.x[i];
      assert.ok(Math.abs(ones / 4000 - g) < 0.03, `grey ${g}: ${ones / 4000} ones`);
    });
    assert.deepEqual(Array.from(binarize(data, 3).x), Array.from(a.x));
    assert.notDeepEqual(Array.from(binarize(data, 4).x), Array.from(a.x));
    assert.equal(a.count, data.count);
    assert.throws(() => binarize(makeDataset({ x: Float32Array.from([0.5, 1.5]), featureShape: [2] }), 1), /value 1 is 1.5, outside \[0, 1\]/);
  });

  it('bernoulliDraw sets a value to 1 exactly where the uniform number is below it', () => {
    const x = tf.tensor2d([[0.2, 0.8, 0.5]]);
    assert.deepEqual(Array.from(bernoulliDraw(x, tf.tensor2d([[0.1, 0.9, 0.5]])).dataSync()), [1, 0, 0]);
    const u = uniformNoise([2, 3], 7).dataSync();
    assert.deepEqual(Array.from(uniformNoise([2, 3], 7).dataSync()), Array.from(u));
    assert.ok(Array.from(u).every((v) => v >= 0 && v < 1));
  });
});
