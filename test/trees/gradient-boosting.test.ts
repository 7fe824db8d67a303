import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GradientBoostedTrees } from '../../src/trees/gradient-boosting';
import type { GradientBoostingOptions } from '../../src/trees/gradient-boosting';
import type { RegressionTree } from '../../src/trees/regression-tree';
import type { LabelledTabularData, TabularData } from '../../src/trees/tabular';
import { mixedTabular } from '../support/mixed-tabular';

/** Rows `from..to` of a task as a labelled table. */
function rowsOf(task: { x: Float32Array; labels: Uint8Array; cols: number }, from: number, to: number): LabelledTabularData {
  return { x: task.x.slice(from * task.cols, to * task.cols), labels: task.labels.slice(from, to), rows: to - from, cols: task.cols };
}

const sigmoid = (f: number): number => 1 / (1 + Math.exp(-f));

function meanLogLoss(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s -= labels[i] === 1 ? Math.log(p[i]) : Math.log(1 - p[i]);
  return s / p.length;
}

function sameTrees(a: readonly RegressionTree[], b: readonly RegressionTree[], tolerance: number): void {
  assert.equal(a.length, b.length, 'tree count');
  a.forEach((t, i) => {
    assert.deepEqual(Array.from(t.splitFeature), Array.from(b[i].splitFeature), `tree ${i} split features`);
    assert.deepEqual(Array.from(t.thresholdBin), Array.from(b[i].thresholdBin), `tree ${i} thresholds`);
    assert.deepEqual(Array.from(t.leafCount), Array.from(b[i].leafCount), `tree ${i} leaf counts`);
    t.leafValue.forEach((v, j) => assert.ok(Math.abs(v - b[i].leafValue[j]) <= tolerance, `tree ${i} leaf ${j}: ${v} vs ${b[i].leafValue[j]}`));
  });
}

describe('GradientBoostedTrees: one round by hand', () => {
  // Eight rows, 3 positive: p = 3/8 everywhere at F_0, g = p - y, h = p (1 - p).
  const a = [1, 2, 3, 4, 5, 6, 7, 8];
  const b = [1, 0, 1, 1, 0, 1, 0, 1];
  const y = [0, 0, 1, 0, 0, 0, 1, 1];
  const data: LabelledTabularData = { x: Float64Array.from(a.flatMap((v, i) => [v, b[i]])), rows: 8, cols: 2, labels: y };
  const eta = 0.5;
  const lambda = 1;
  const model = GradientBoostedTrees.fit(data, { rounds: 1, numLeaves: 2, minDataInLeaf: 1, learningRate: eta, lambdaL2: lambda });
  const p = 3 / 8;
  const h = p * (1 - p);

  it('starts from F_0 = the log-odds of the positive rate, log(3/5)', () => {
    assert.ok(Math.abs(model.initScore - Math.log(3 / 5)) < 1e-15);
  });

  it('splits where the gain 1/2 [G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda)] is largest: feature 0 at 6.5', () => {
    // Every threshold of both features, by the formula; G = 0 at F_0, so the parent term vanishes.
    const score = (gl: number, hl: number, gr: number, hr: number) => 0.5 * ((gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda));
    const g = y.map((v) => p - v);
    const candidates: { feature: number; threshold: number; gain: number }[] = [];
    for (let k = 1; k < 8; k++) {
      const gl = g.slice(0, k).reduce((s, v) => s + v, 0);
      candidates.push({ feature: 0, threshold: k + 0.5, gain: score(gl, k * h, -gl, (8 - k) * h) });
    }
    const g0 = g.filter((_, i) => b[i] === 0).reduce((s, v) => s + v, 0);
    const n0 = b.filter((v) => v === 0).length;
    candidates.push({ feature: 1, threshold: 0.5, gain: score(g0, n0 * h, -g0, (8 - n0) * h) });
    const best = candidates.reduce((m, c) => (c.gain > m.gain ? c : m));
    assert.deepEqual([best.feature, best.threshold], [0, 6.5]);
    const tree = model.trees[0];
    assert.equal(tree.numLeaves, 2);
    assert.deepEqual(Array.from(tree.splitFeature), [0]);
    assert.deepEqual(Array.from(tree.threshold), [6.5]);
    assert.ok(Math.abs(tree.splitGain[0] - best.gain) < 1e-12, `gain ${tree.splitGain[0]} vs ${best.gain}`);
    // By hand: G_L = 6p - 1 = 1.25 over H_L = 6h, so 1/2 * 1.5625 (1/(6h+1) + 1/(2h+1)) = 0.856585...
    assert.ok(Math.abs(best.gain - 0.5 * 1.5625 * (1 / (6 * h + 1) + 1 / (2 * h + 1))) < 1e-12);
  });

  it('gives each leaf -eta G/(H + lambda): rows 1-6 hold G = 6p - 1, rows 7-8 hold G = 2p - 2', () => {
    const left = (-eta * (6 * p - 1)) / (6 * h + lambda);
    const right = (-eta * (2 * p - 2)) / (2 * h + lambda);
    const tree = model.trees[0];
    assert.ok(Math.abs(tree.leafValue[0] - left) < 1e-15 && Math.abs(left - -0.25974025974) < 1e-10);
    assert.ok(Math.abs(tree.leafValue[1] - right) < 1e-15 && Math.abs(right - 0.42553191489) < 1e-10);
    assert.deepEqual(Array.from(tree.leafCount), [6, 2]);
    const raw = model.predictRaw(data);
    raw.forEach((v, i) => assert.ok(Math.abs(v - (model.initScore + (i < 6 ? left : right))) < 1e-15));
    const proba = model.predictProba(data);
    proba.forEach((v, i) => assert.ok(Math.abs(v - sigmoid(raw[i])) < 1e-15));
  });
});

describe('GradientBoostedTrees', () => {
  const task = mixedTabular(3000, 12, 7);
  const train = rowsOf(task, 0, 2000);
  const test = rowsOf(task, 2000, 3000);

  it('respects numLeaves, maxDepth, minDataInLeaf (rows counted exactly) and minSumHessianInLeaf', () => {
    const model = GradientBoostedTrees.fit(train, { rounds: 10, numLeaves: 12, maxDepth: 4, minDataInLeaf: 30, minSumHessianInLeaf: 2 });
    for (const tree of model.trees) {
      assert.ok(tree.numLeaves <= 12);
      assert.ok(Math.max(...tree.leafDepth) <= 4);
      assert.ok(Math.min(...tree.leafCount) >= 30);
      assert.ok(Math.min(...tree.leafHessian) >= 2);
      assert.equal(tree.leafCount.reduce((s, v) => s + v, 0), 2000);
    }
    const wide = GradientBoostedTrees.fit(train, { rounds: 3 });
    assert.ok(wide.trees.every((t) => t.numLeaves === 31), 'leaf-wise growth fills the 31 leaves (LightGBM num_leaves)');
  });

  it('grows depth-wise level by level, leaf-wise by the largest gain', () => {
    const depthWise = GradientBoostedTrees.fit(train, { rounds: 3, growth: 'depth-wise', maxDepth: 3, numLeaves: 8 });
    for (const tree of depthWise.trees) assert.deepEqual(Array.from(tree.leafDepth), new Array(8).fill(3));
    const leafWise = GradientBoostedTrees.fit(train, { rounds: 3, numLeaves: 8 });
    assert.ok(leafWise.trees.some((t) => Math.max(...t.leafDepth) > 3), 'leaf-wise trees of 8 leaves are not all balanced');
  });

  it('lowers the training log-loss every round, and its history matches the predictions', () => {
    const model = GradientBoostedTrees.fit(train, { rounds: 40 });
    const loss = model.history.trainLoss;
    assert.equal(loss.length, 40);
    assert.equal(model.history.validationLoss, undefined);
    for (let i = 1; i < loss.length; i++) assert.ok(loss[i] < loss[i - 1], `round ${i + 1}: ${loss[i]} after ${loss[i - 1]}`);
    assert.ok(Math.abs(loss[39] - meanLogLoss(model.predictProba(train), train.labels)) < 1e-12);
    assert.equal(model.bestIteration, 40);
  });

  it('builds the same trees with the histogram subtraction as with both children built from their rows', () => {
    for (const options of [{}, { featureFraction: 0.4, baggingFraction: 0.7, baggingFreq: 2, seed: 3 }, { featureFraction: 0.8, seed: 1 }] as GradientBoostingOptions[]) {
      const subtracted = GradientBoostedTrees.fit(train, { rounds: 15, ...options });
      const direct = GradientBoostedTrees.fit(train, { rounds: 15, ...options, histogramSubtraction: false });
      sameTrees(subtracted.trees, direct.trees, 1e-12);
    }
  });

  it('early stopping keeps the trees up to the best validation round, as if trained for exactly that many', () => {
    const small = rowsOf(task, 0, 300);
    const validation = rowsOf(task, 2000, 3000);
    const model = GradientBoostedTrees.fit(small, { rounds: 300, learningRate: 0.3, minDataInLeaf: 5, validation, earlyStoppingRounds: 10 });
    const history = model.history.validationLoss ?? [];
    const best = history.indexOf(Math.min(...history)) + 1;
    assert.ok(best < 290, `stopped early (best round ${best})`);
    assert.equal(model.bestIteration, best);
    assert.equal(model.trees.length, best);
    assert.equal(history.length, best + 10);
    assert.equal(model.history.trainLoss.length, best + 10);
    const again = GradientBoostedTrees.fit(small, { rounds: best, learningRate: 0.3, minDataInLeaf: 5 });
    assert.deepEqual(Array.from(model.predictRaw(test)), Array.from(again.predictRaw(test)));
    assert.ok(Math.abs(history[best - 1] - meanLogLoss(model.predictProba(validation), validation.labels)) < 1e-12);
  });

  it('treats a weight of 2 as the row twice', () => {
    // 200 rows have fewer distinct values per column than bins, so duplicating rows leaves the bins as they are.
    const base = rowsOf(task, 0, 200);
    const doubled = 60;
    const weights = Array.from({ length: 200 }, (_, i) => (i < doubled ? 2 : 1));
    const copies = rowsOf(task, 0, doubled);
    const duplicated: LabelledTabularData = {
      x: Float32Array.from([...base.x, ...copies.x]),
      labels: Uint8Array.from([...Array.from(base.labels), ...Array.from(copies.labels)]),
      rows: 200 + doubled,
      cols: task.cols,
    };
    // minDataInLeaf counts rows, which a weight does not multiply, so the leaves are limited by their
    // hessian sums only, which it does. That limit also keeps out leaves of one or two rows, which
    // any feature separating them would split with the same gain: a tie rounding could break either way.
    const options: GradientBoostingOptions = { rounds: 20, minDataInLeaf: 0, minSumHessianInLeaf: 1.5, numLeaves: 15 };
    const weighted = GradientBoostedTrees.fit(base, { ...options, weights });
    const twice = GradientBoostedTrees.fit(duplicated, options);
    assert.ok(Math.abs(weighted.initScore - twice.initScore) < 1e-15);
    assert.ok(weighted.trees.every((t) => t.numLeaves === 15));
    weighted.trees.forEach((t, i) => assert.deepEqual(Array.from(t.threshold), Array.from(twice.trees[i].threshold), `tree ${i}`));
    const [p, q] = [weighted.predictRaw(test), twice.predictRaw(test)];
    p.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 1e-9, `row ${i}: ${v} vs ${q[i]}`));
    weighted.history.trainLoss.forEach((v, i) => assert.ok(Math.abs(v - twice.history.trainLoss[i]) < 1e-12));
  });

  it('is deterministic for a seed, and the seed changes the feature and row draws', () => {
    const options: GradientBoostingOptions = { rounds: 20, featureFraction: 0.6, baggingFraction: 0.7, baggingFreq: 1, seed: 11 };
    const [a, b] = [GradientBoostedTrees.fit(train, options), GradientBoostedTrees.fit(train, options)];
    sameTrees(a.trees, b.trees, 0);
    assert.deepEqual(Array.from(a.predictProba(test)), Array.from(b.predictProba(test)));
    const c = GradientBoostedTrees.fit(train, { ...options, seed: 12 });
    assert.notDeepEqual(Array.from(a.predictProba(test)), Array.from(c.predictProba(test)));
    for (const tree of a.trees) assert.equal(tree.leafCount.reduce((s, v) => s + v, 0), 1400, 'each tree grows on its bag of 70% of the rows');
    const plain = GradientBoostedTrees.fit(train, { rounds: 5 });
    assert.deepEqual(Array.from(plain.predictRaw(test)), Array.from(GradientBoostedTrees.fit(train, { rounds: 5, seed: 99 }).predictRaw(test)), 'without draws the seed changes nothing');
  });

  it('predicts with the first numIteration trees, and counts split numbers and gains per feature', () => {
    const model = GradientBoostedTrees.fit(train, { rounds: 12 });
    const all = model.predictRaw(test);
    const first = model.predictRaw(test, { numIteration: 5 });
    const none = model.predictRaw(test, { numIteration: 0 });
    assert.ok(none.every((v) => v === model.initScore));
    const later = GradientBoostedTrees.fit(train, { rounds: 5 }).predictRaw(test);
    first.forEach((v, i) => assert.ok(Math.abs(v - later[i]) < 1e-12));
    assert.notDeepEqual(Array.from(first), Array.from(all));
    const importance = model.featureImportance();
    const splits = model.trees.reduce((s, t) => s + t.splitFeature.length, 0);
    assert.equal(importance.splits.reduce((s, v) => s + v, 0), splits);
    const gain = model.trees.reduce((s, t) => s + t.splitGain.reduce((u, v) => u + v, 0), 0);
    assert.ok(Math.abs(importance.gain.reduce((s, v) => s + v, 0) - gain) < 1e-9);
    // Column 0 drives the labels; columns 10 and 11 are noise.
    assert.ok(importance.gain[0] > 5 * Math.max(importance.gain[10], importance.gain[11]));
    assert.equal(model.featureImportance({ numIteration: 1 }).splits.reduce((s, v) => s + v, 0), model.trees[0].splitFeature.length);
  });

  it('stops, as LightGBM does, when a round\'s tree cannot split', () => {
    const model = GradientBoostedTrees.fit(rowsOf(task, 0, 30), { rounds: 10 });
    assert.equal(model.trees.length, 0, 'min_data_in_leaf 20 allows no split of 30 rows');
    assert.equal(model.history.trainLoss.length, 0);
    assert.ok(model.predictProba(test).every((v) => Math.abs(v - sigmoid(model.initScore)) < 1e-15));
  });

  it('names the argument, the expected and the actual value of bad input', () => {
    const fit = (data: LabelledTabularData, options: GradientBoostingOptions = {}) => () => GradientBoostedTrees.fit(data, options);
    const tiny = rowsOf(task, 0, 50);
    const withLabels = (labels: number[]) => ({ ...tiny, labels: [...Array.from(tiny.labels).slice(0, 49), ...labels] });
    assert.throws(fit(withLabels([2])), /data\.labels\[49\] is 2, expected 0 or 1/);
    assert.throws(fit(withLabels([NaN])), /data\.labels\[49\] is NaN, expected 0 or 1/);
    assert.throws(fit({ ...tiny, labels: Array.from(tiny.labels).slice(1) }), /data\.labels has 49 labels, expected one per row \(50\)/);
    assert.throws(fit({ ...tiny, labels: new Uint8Array(50).fill(1) }), /every row of data\.labels is positive \(1\); a binary classifier needs both classes/);
    assert.throws(fit({ ...tiny, rows: 49 }), /data\.x has 600 values, expected rows \* cols = 49 \* 12 = 588/);
    const nan = tiny.x.slice();
    nan[3 * 12 + 5] = NaN;
    assert.throws(fit({ ...tiny, x: nan }), /data\.x\[row 3, feature 5\] is NaN/);
    assert.throws(fit(tiny, { numLeaves: 1 }), /options\.numLeaves must be an integer >= 2, got 1/);
    assert.throws(fit(tiny, { numLeaves: -3 }), /options\.numLeaves must be an integer >= 2, got -3/);
    assert.throws(fit(tiny, { rounds: 0 }), /options\.rounds must be a positive integer, got 0/);
    assert.throws(fit(tiny, { learningRate: 0 }), /options\.learningRate must be a finite number > 0, got 0/);
    assert.throws(fit(tiny, { maxDepth: 0 }), /options\.maxDepth \(-1 for no limit\) must be a positive integer, got 0/);
    assert.throws(fit(tiny, { minDataInLeaf: 1.5 }), /options\.minDataInLeaf must be an integer >= 0, got 1\.5/);
    assert.throws(fit(tiny, { lambdaL2: -1 }), /options\.lambdaL2 must be a finite number >= 0, got -1/);
    assert.throws(fit(tiny, { maxBins: 300 }), /options\.maxBins must be an integer in 2\.\.256, got 300/);
    assert.throws(fit(tiny, { featureFraction: 0 }), /options\.featureFraction must be a number in \(0, 1\], got 0/);
    assert.throws(fit(tiny, { growth: 'wide' as never }), /options\.growth must be 'leaf-wise' or 'depth-wise', got wide/);
    assert.throws(fit(tiny, { earlyStoppingRounds: 5 }), /options\.earlyStoppingRounds is 5 but options\.validation is missing/);
    assert.throws(fit(tiny, { validation: { ...rowsOf(task, 0, 10), cols: 11, x: new Float32Array(110) } }), /options\.validation\.cols is 11, expected 12/);
    assert.throws(fit(tiny, { weights: new Array(50).fill(1).fill(-1, 7, 8) }), /options\.weights\[7\] is -1, expected a finite number >= 0/);
    assert.throws(fit(tiny, { weights: [1, 2] }), /options\.weights has 2 weights, expected one per row \(50\)/);
    const model = GradientBoostedTrees.fit(train, { rounds: 2 });
    const wrongCols: TabularData = { x: new Float32Array(22), rows: 2, cols: 11 };
    assert.throws(() => model.predictProba(wrongCols), /predictProba: data\.cols is 11, expected 12 \(the training columns\)/);
    assert.throws(() => model.predictRaw(test, { numIteration: 3 }), /numIteration must be an integer in 0\.\.2 \(the trees kept\), got 3/);
    assert.throws(() => model.predictRaw({ ...test, x: test.x.map((v, i) => (i === 30 ? NaN : v)) }), /predictRaw: data\.x\[row 2, feature 6\] is NaN/);
  });
});
