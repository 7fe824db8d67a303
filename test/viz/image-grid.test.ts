import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { subset } from '../../src/data/dataset';
import { loadMnist } from '../../src/data/mnist';
import type { EpochLog } from '../../src/training/trainer';
import { glyphRows, textWidth } from '../../src/viz/bitmap-font';
import { imageGridPng } from '../../src/viz/image-grid';
import { latentScatter, lossCurves } from '../../src/viz/training-figures';

describe('imageGridPng', () => {
  it('draws labelled rows of images into a grey-scale PNG of the expected size', () => {
    const images = new Float32Array(3 * 4 * 5);
    images.fill(1, 0, 20); // first image white, second half grey, third black
    images.fill(0.5, 20, 40);
    const bytes = imageGridPng({ rows: [{ label: 'AB', images }, { label: '', images }], height: 4, width: 5, scale: 1 });
    const png = PNG.sync.read(Buffer.from(bytes));
    // label column: 2 glyphs = 11 px + 2 * 4 margin; 3 images of 5 px with 2 px gaps; 4 px outer margins
    assert.equal(png.width, 4 + 19 + 3 * 5 + 2 * 2 + 4);
    assert.equal(png.height, 4 + 2 * 4 + 2 + 4);
    const grey = (x: number, y: number) => png.data[4 * (y * png.width + x)];
    const left = 4 + 19;
    assert.equal(grey(left, 4), 255);
    assert.equal(grey(left + 7, 4), 128);
    assert.equal(grey(left + 14, 4), 0);
    // the 7-pixel label is centred on the 4-pixel row, so it starts at y = 4 + floor((4 - 7) / 2) = 2;
    // the first column of "A" has its top pixel off and the next on (row bits 01110 / 10001)
    assert.equal(grey(4, 2), 255);
    assert.equal(grey(4, 3), 0);
    assert.ok(glyphRows('a').every((r, i) => r === glyphRows('A')[i]));
    assert.equal(textWidth('AB'), 11);
  });

  it('renders MNIST originals over a second row and saves a viewable file', () => {
    const d = subset(loadMnist('test'), [0, 1, 2, 3, 4, 5]);
    const bytes = imageGridPng({ rows: [{ label: 'original', images: d.x }, { label: 'inverted 0-9', images: d.x.map((v) => 1 - v) }], height: 28, width: 28 });
    const out = path.join('build', 'test-images');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'grid.png'), bytes);
    const png = PNG.sync.read(Buffer.from(bytes));
    assert.equal(png.height, 4 + 2 * 56 + 2 + 4);
  });

  it('rejects rows of different lengths and bad sizes', () => {
    assert.throws(() => imageGridPng({ rows: [{ label: 'a', images: new Float32Array(4) }, { label: 'b', images: new Float32Array(8) }], height: 2, width: 2 }), /same number of images, got 1, 2/);
    assert.throws(() => imageGridPng({ rows: [{ label: 'a', images: new Float32Array(5) }], height: 2, width: 2 }), /rows\[0\] \("a"\) has 5 values, not a positive multiple of 2x2/);
    assert.throws(() => imageGridPng({ rows: [], height: 2, width: 2 }), /rows must not be empty/);
  });
});

describe('training figures', () => {
  const log = (epoch: number, t: number, v: number): EpochLog => ({ epoch, train: { total: t }, validation: { total: v }, seconds: 1, samplesPerSecond: 10, improved: true });

  it('lossCurves draws train solid and validation dashed against epoch', () => {
    const fig = lossCurves([log(1, 3, 4), log(2, 2, 3)], { title: 'AE loss' });
    assert.equal(fig.data.length, 2);
    assert.deepEqual(fig.data[0].x, [1, 2]);
    assert.deepEqual(fig.data[1].y, [4, 3]);
    assert.deepEqual(fig.data[1].line, { dash: 'dash' });
    assert.equal(fig.layout.xaxis?.title?.text, 'epoch');
    assert.equal(fig.data[0].name, 'loss (train)');
    assert.throws(() => lossCurves([log(1, 3, 4)], { title: 't', terms: ['kl'] }), /no loss term "kl" \(terms: total\)/);
    const parts = (epoch: number): EpochLog => ({ epoch, train: { total: 3, reconstruction: 2, kl: 1 }, seconds: 1, samplesPerSecond: 1, improved: true });
    assert.deepEqual(lossCurves([parts(1)], { title: 't' }).data.map((t) => t.name), ['loss (train)', 'reconstruction (train)', 'kl (train)']);
    const single = (epoch: number): EpochLog => ({ epoch, train: { total: 3, reconstruction: 3 }, seconds: 1, samplesPerSecond: 1, improved: true });
    assert.deepEqual(lossCurves([single(1)], { title: 't' }).data.map((t) => t.name), ['loss (train)']);
    assert.throws(() => lossCurves([], { title: 't' }), /history is empty/);
  });

  it('latentScatter plots two code dimensions by label', () => {
    const fig = latentScatter({ z: Float32Array.from([0, 1, 2, 3, 4, 5]), count: 2, latentDim: 3 }, [0, 1], { title: 'codes', dims: [2, 0] });
    assert.equal(fig.layout.xaxis?.title?.text, 'z3');
    assert.equal(fig.data.length, 2);
    assert.deepEqual(fig.data[1].x, [5]);
    assert.throws(() => latentScatter({ z: new Float32Array(4), count: 2, latentDim: 2 }, [0], { title: 'c' }), /1 labels for 2 codes/);
  });
});
