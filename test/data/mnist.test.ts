import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { featureSize } from '../../src/data/dataset';
import { loadMnist, mnistDataDir, mnistSplits } from '../../src/data/mnist';

describe('MNIST', () => {
  it('loads 60,000 training and 10,000 test digits scaled to [0, 1] with labels 0..9', () => {
    for (const [part, count] of [['train', 60000], ['test', 10000]] as const) {
      const d = loadMnist(part);
      assert.equal(d.count, count);
      assert.deepEqual(d.featureShape, [784]);
      assert.equal(d.x.length, count * 784);
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < d.x.length; i += 97) {
        min = Math.min(min, d.x[i]);
        max = Math.max(max, d.x[i]);
      }
      assert.equal(min, 0);
      assert.ok(max > 0.99 && max <= 1);
      const seen = new Set(d.labels);
      assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    // The first training digit of MNIST is a 5, the first test digit a 7.
    assert.equal(loadMnist('train').labels?.[0], 5);
    assert.equal(loadMnist('test').labels?.[0], 7);
  });

  it('gives image layout [28, 28, 1] on request', () => {
    const d = loadMnist('test', { layout: 'image' });
    assert.deepEqual(d.featureShape, [28, 28, 1]);
    assert.equal(featureSize(d), 784);
  });

  it('makes disjoint seeded train / validation / test sets', () => {
    const a = mnistSplits({ trainCount: 500, validationCount: 100, testCount: 200, seed: 3 });
    const b = mnistSplits({ trainCount: 500, validationCount: 100, testCount: 200, seed: 3 });
    assert.equal(a.train.count, 500);
    assert.equal(a.validation.count, 100);
    assert.equal(a.test.count, 200);
    assert.deepEqual(a.train.x.subarray(0, 784 * 3), b.train.x.subarray(0, 784 * 3));
    const key = (x: Float32Array, i: number) => x.subarray(i * 784, (i + 1) * 784).join(',');
    const trainKeys = new Set(Array.from({ length: 500 }, (_, i) => key(a.train.x, i)));
    const overlap = Array.from({ length: 100 }, (_, i) => key(a.validation.x, i)).filter((k) => trainKeys.has(k));
    assert.equal(overlap.length, 0);
    assert.throws(() => mnistSplits({ trainCount: 59000, validationCount: 2000, testCount: 1, seed: 1 }), /more than the 60000/);
    assert.throws(() => mnistSplits({ trainCount: 0, validationCount: 2, testCount: 1, seed: 1 }), /trainCount must be a positive integer, got 0/);
  });

  it('names the file when the data folder holds a truncated file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-mnist-'));
    try {
      const src = mnistDataDir();
      fs.copyFileSync(path.join(src, 't10k-labels-idx1-ubyte'), path.join(dir, 't10k-labels-idx1-ubyte'));
      fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), fs.readFileSync(path.join(src, 't10k-images-idx3-ubyte')).subarray(0, 5000));
      assert.throws(() => loadMnist('test', { dataDir: dir }), /t10k-images-idx3-ubyte: IDX file truncated: 5000 bytes, expected 7840016/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
