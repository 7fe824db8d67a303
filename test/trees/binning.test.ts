import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../src/core/random';
import { FeatureBinner } from '../../src/trees/binning';

const column = (values: number[]) => ({ x: Float64Array.from(values), rows: values.length, cols: 1 });

describe('FeatureBinner', () => {
  it('cuts at the training quantiles when there are more distinct values than bins: 1..10 in 4 bins ends bins at 3.5, 5.5 and 8.5', () => {
    // Targets k n / maxBins = 2.5, 5, 7.5: bin k ends at the first value whose cumulative count reaches them (3, 5, 8).
    const binner = FeatureBinner.fit(column([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { maxBins: 4 });
    assert.deepEqual(Array.from(binner.upperBounds[0]), [3.5, 5.5, 8.5, Infinity]);
    assert.deepEqual(Array.from(binner.transform(column([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).bins[0]), [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]);
  });

  it('gives a value heavier than one bin\'s share a bin of its own and skips the targets it covers', () => {
    // n = 10, maxBins 3: targets 3.33 and 6.67; six zeros pass the first, the 1 reaches the second.
    const binner = FeatureBinner.fit(column([0, 3, 0, 0, 4, 1, 0, 2, 0, 0]), { maxBins: 3 });
    assert.deepEqual(Array.from(binner.upperBounds[0]), [0.5, 1.5, Infinity]);
  });

  it('gives each distinct value a bin, cut at midpoints, when there are at most maxBins of them', () => {
    const binner = FeatureBinner.fit(column([3, 1, 2, 2, 1, 3, 3]));
    assert.deepEqual(Array.from(binner.upperBounds[0]), [1.5, 2.5, Infinity]);
    assert.deepEqual(Array.from(binner.transform(column([1, 2, 3, 1.5, 1.6, 2.5])).bins[0]), [0, 1, 2, 0, 1, 1]);
  });

  it('gives a binary column 2 bins and a constant column 1, column-major per feature', () => {
    const x = Float32Array.from([0, 7, 1, 7, 1, 7, 0, 7]);
    const binner = FeatureBinner.fit({ x, rows: 4, cols: 2 });
    assert.equal(binner.cols, 2);
    assert.equal(binner.binCount(0), 2);
    assert.equal(binner.binCount(1), 1);
    const binned = binner.transform({ x, rows: 4, cols: 2 });
    assert.ok(binned.bins[0] instanceof Uint8Array);
    assert.deepEqual(Array.from(binned.bins[0]), [0, 1, 1, 0]);
    assert.deepEqual(Array.from(binned.bins[1]), [0, 0, 0, 0]);
  });

  it('maps values beyond the training range, infinities included, to the end bins', () => {
    const binner = FeatureBinner.fit(column([10, 20, 30, 40]));
    // Bounds 15, 25, 35, Infinity: a bound belongs to the bin below it.
    const bins = binner.transform(column([-1e9, -Infinity, 9.99, 25, 26, 40.01, 1e9, Infinity])).bins[0];
    assert.deepEqual(Array.from(bins), [0, 0, 0, 1, 2, 3, 3, 3]);
    assert.equal(binner.binOf(0, 1e300), 3);
    assert.equal(binner.binOf(0, -1e300), 0);
  });

  it('makes at most maxBins (default 255, LightGBM max_bin) bins of nearly equal counts from continuous values', () => {
    const random = new Random(5);
    const values = Array.from({ length: 10000 }, () => random.normal());
    const data = column(values);
    const binner = FeatureBinner.fit(data);
    assert.equal(binner.binCount(0), 255);
    const counts = new Array<number>(255).fill(0);
    for (const b of binner.transform(data).bins[0]) counts[b]++;
    assert.ok(Math.min(...counts) >= 39 && Math.max(...counts) <= 40, `bin counts ${Math.min(...counts)}..${Math.max(...counts)}`);
    assert.equal(FeatureBinner.fit(data, { maxBins: 256 }).binCount(0), 256);
  });

  it('keeps neighbouring floats and infinities in bins of their own', () => {
    const a = 1;
    const b = 1 + Number.EPSILON;
    const binner = FeatureBinner.fit(column([a, b, -Infinity, Infinity]));
    const bins = Array.from(binner.transform(column([-Infinity, a, b, Infinity])).bins[0]);
    assert.deepEqual(bins, [0, 1, 2, 3]);
  });

  it('rejects NaN, naming its row and feature, and bad arguments, naming them', () => {
    const x = Float64Array.from([1, 2, 3, 4, 5, NaN]);
    assert.throws(() => FeatureBinner.fit({ x, rows: 2, cols: 3 }), /FeatureBinner\.fit: data\.x\[row 1, feature 2\] is NaN/);
    const binner = FeatureBinner.fit({ x: Float64Array.from([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 });
    assert.throws(() => binner.transform({ x, rows: 2, cols: 3 }), /transform: data\.x\[row 1, feature 2\] is NaN/);
    assert.throws(() => binner.binOf(0, NaN), /NaN/);
    assert.throws(() => binner.binOf(3, 1), /feature must be an integer in 0\.\.2, got 3/);
    assert.throws(() => binner.transform({ x: new Float64Array(4), rows: 2, cols: 2 }), /data\.cols is 2, expected 3/);
    assert.throws(() => FeatureBinner.fit(column([1, 2]), { maxBins: 1 }), /maxBins must be an integer in 2\.\.256, got 1/);
    assert.throws(() => FeatureBinner.fit(column([1, 2]), { maxBins: 257 }), /maxBins must be an integer in 2\.\.256, got 257/);
    assert.throws(() => FeatureBinner.fit({ x: new Float64Array(5), rows: 2, cols: 3 }), /data\.x has 5 values, expected rows \* cols = 2 \* 3 = 6/);
    assert.throws(() => FeatureBinner.fit({ x: new Float64Array(0), rows: 0, cols: 3 }), /data\.rows must be a positive integer, got 0/);
  });
});
