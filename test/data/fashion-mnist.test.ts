import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fashionMnistClassNames, fashionMnistSplits, loadFashionMnist } from '../../src/data/fashion-mnist';

/** The mean image of one class, 28 x 28 row-major. */
function meanImage(x: Float32Array, labels: Int32Array, label: number): Float64Array {
  const mean = new Float64Array(784);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== label) continue;
    for (let p = 0; p < 784; p++) mean[p] += x[i * 784 + p];
    n++;
  }
  return mean.map((v) => v / n);
}

/** The mean of rows r0..r1-1, columns c0..c1-1 of a 28 x 28 image. */
function block(image: Float64Array, r0: number, r1: number, c0: number, c1: number): number {
  let sum = 0;
  for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) sum += image[r * 28 + c];
  return sum / ((r1 - r0) * (c1 - c0));
}

describe('Fashion-MNIST', () => {
  it('loads 7,000 images of each of the 10 classes, scaled to [0, 1]', () => {
    const d = loadFashionMnist();
    assert.equal(d.count, 70000);
    assert.deepEqual(d.featureShape, [784]);
    assert.equal(d.classCount, 10);
    const perClass = new Array(10).fill(0);
    for (const label of d.labels!) perClass[label]++;
    assert.deepEqual(perClass, new Array(10).fill(7000));
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < d.x.length; i += 31) {
      min = Math.min(min, d.x[i]);
      max = Math.max(max, d.x[i]);
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
    assert.equal(fashionMnistClassNames.length, 10);
    assert.deepEqual(loadFashionMnist({ layout: 'image' }).featureShape, [28, 28, 1]);
  });

  it('labels the classes in the Fashion-MNIST order (checked on the mean images)', () => {
    const d = loadFashionMnist();
    const means = Array.from({ length: 10 }, (_, c) => meanImage(d.x, d.labels!, c));
    // Trousers (1): a gap between the legs at the bottom centre, ink either side of it.
    const trouser = means[1];
    assert.ok(block(trouser, 20, 27, 13, 15) < 0.5 * block(trouser, 20, 27, 8, 12), 'trousers have a dark gap between the legs');
    // Footwear (sandal 5, sneaker 7, ankle boot 9) leaves the top rows empty; tops (0, 2, 4, 6) fill them.
    for (const shoe of [5, 7, 9]) {
      for (const top of [0, 2, 4, 6]) {
        assert.ok(block(means[shoe], 0, 6, 4, 24) < 0.5 * block(means[top], 0, 6, 4, 24), `${fashionMnistClassNames[shoe]} has less ink in the top rows than ${fashionMnistClassNames[top]}`);
      }
    }
    // Sandals are mostly straps: less ink overall than sneakers and ankle boots.
    const ink = means.map((m) => m.reduce((a, b) => a + b, 0));
    assert.ok(ink[5] < ink[7] && ink[5] < ink[9], `ink: sandal ${ink[5]}, sneaker ${ink[7]}, ankle boot ${ink[9]}`);
  });

  it('makes disjoint seeded train / validation / test sets of the pooled images', () => {
    const a = fashionMnistSplits({ trainCount: 700, validationCount: 200, testCount: 300, seed: 5 });
    const b = fashionMnistSplits({ trainCount: 700, validationCount: 200, testCount: 300, seed: 5 });
    assert.deepEqual([a.train.count, a.validation.count, a.test.count], [700, 200, 300]);
    assert.deepEqual(a.test.x, b.test.x);
    assert.deepEqual(a.train.labels, b.train.labels);
    // Each part is a draw over all classes.
    for (const part of [a.train, a.test]) assert.equal(new Set(part.labels).size, 10);
    const image = fashionMnistSplits({ trainCount: 10, validationCount: 10, testCount: 10, seed: 5, layout: 'image' });
    assert.deepEqual(image.train.featureShape, [28, 28, 1]);
    assert.throws(() => fashionMnistSplits({ trainCount: 60000, validationCount: 5000, testCount: 6000, seed: 1 }), /more than the 70000 Fashion-MNIST images/);
    assert.throws(() => fashionMnistSplits({ trainCount: 0, validationCount: 5, testCount: 5, seed: 1 }), /trainCount/);
  });

  it('names the file and the entry when a class file is short or malformed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fashion-'));
    try {
      const image = new Array(784).fill(7);
      for (let c = 0; c < 10; c++) fs.writeFileSync(path.join(dir, `${c}.json`), JSON.stringify({ data: [image, [], image] }));
      assert.throws(() => loadFashionMnist({ dataDir: dir }), /0\.json: 2 images, expected 7000/);
      fs.writeFileSync(path.join(dir, '0.json'), JSON.stringify({ data: [image, [1, 2, 3]] }));
      assert.throws(() => loadFashionMnist({ dataDir: dir }), /0\.json: entry 1 has 3 pixels, expected 784/);
      fs.writeFileSync(path.join(dir, '0.json'), JSON.stringify({ data: [[...image.slice(1), 300]] }));
      assert.throws(() => loadFashionMnist({ dataDir: dir }), /entry 0, pixel 783 is 300/);
      assert.throws(() => loadFashionMnist({ dataDir: path.join(dir, 'missing') }), /cannot read the Fashion-MNIST class file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
