import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchCount, batches, epochOrder } from '../../src/data/batches';
import { makeDataset, subset } from '../../src/data/dataset';
import { countSharedExamples, splitDataset, splitIndices } from '../../src/data/split';

function toy(count: number, classes = 4) {
  const x = Float32Array.from({ length: count * 2 }, (_, i) => Math.floor(i / 2));
  const labels = Int32Array.from({ length: count }, (_, i) => i % classes);
  return makeDataset({ x, featureShape: [2], labels });
}

const ids = (d: { x: Float32Array; count: number }) => Array.from({ length: d.count }, (_, i) => d.x[2 * i]);

describe('splitDataset', () => {
  it('splits 8:1:1 into disjoint parts that cover the dataset', () => {
    const s = splitDataset(toy(100), { fractions: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 1 });
    assert.deepEqual([s.train.count, s.validation.count, s.test.count], [80, 10, 10]);
    const all = [...ids(s.train), ...ids(s.validation), ...ids(s.test)].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
    const again = splitDataset(toy(100), { fractions: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 1 });
    assert.deepEqual(ids(again.test), ids(s.test));
    // labels travel with their rows
    s.train.labels?.forEach((label, i) => assert.equal(label, s.train.x[2 * i] % 4));
  });

  it('keeps class shares with stratify', () => {
    const s = splitDataset(toy(200), { fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 2, stratify: true });
    for (const part of [s.validation, s.test]) {
      const counts = [0, 0, 0, 0];
      part.labels?.forEach((l) => counts[l]++);
      assert.deepEqual(counts, [10, 10, 10, 10]);
    }
  });

  it('rejects fractions that do not sum to 1 or that leave a split empty', () => {
    assert.throws(() => splitDataset(toy(10), { fractions: { train: 0.8, validation: 0.1, test: 0.2 }, seed: 1 }), /must sum to 1, got 0\.8 \+ 0\.1 \+ 0\.2/);
    assert.throws(() => splitDataset(toy(10), { fractions: { train: 1, validation: 0, test: 0 }, seed: 1 }), /fractions\.train must be in \(0, 1\), got 1/);
    assert.throws(() => splitDataset(toy(5), { fractions: { train: 0.9, validation: 0.05, test: 0.05 }, seed: 1 }), /leaves the (validation|test) split empty \(5 examples\)/);
    assert.throws(() => splitDataset(makeDataset({ x: new Float32Array(20), featureShape: [2] }), { fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 1, stratify: true }), /needs a dataset with labels/);
  });
});

describe('batches', () => {
  it('covers every example once per epoch, reshuffled each epoch and the same for the same seed', () => {
    const d = toy(10);
    const epoch = (seed: number, e: number) => [...batches(d, { batchSize: 4, seed, epoch: e })];
    const one = epoch(9, 1);
    assert.deepEqual(one.map((b) => b.size), [4, 4, 2]);
    assert.equal(batchCount(10, 4), 3);
    const seen = one.flatMap((b) => Array.from({ length: b.size }, (_, i) => b.x[2 * i])).sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => i));
    assert.deepEqual(one.map((b) => [...b.x]), epoch(9, 1).map((b) => [...b.x]));
    assert.notDeepEqual([...epochOrder(10, 9, 1)], [...epochOrder(10, 9, 2)]);
    one.forEach((b) => b.labels?.forEach((l, i) => assert.equal(l, b.x[2 * i] % 4)));
  });

  it('keeps order without shuffle, drops the remainder on request and checks its arguments', () => {
    const d = toy(10);
    const plain = [...batches(d, { batchSize: 4, shuffle: false, dropRemainder: true })];
    assert.deepEqual(plain.map((b) => ids({ x: b.x, count: b.size })), [[0, 1, 2, 3], [4, 5, 6, 7]]);
    assert.throws(() => [...batches(d, { batchSize: 0, seed: 1 })], /batchSize must be a positive integer, got 0/);
    assert.throws(() => [...batches(d, { batchSize: 2 })], /shuffle needs a seed/);
  });

  it('makeDataset checks label count and range', () => {
    assert.throws(() => makeDataset({ x: new Float32Array(6), featureShape: [2], labels: new Int32Array(2) }), /labels has 2 entries, expected one per example \(3\)/);
    assert.throws(() => makeDataset({ x: new Float32Array(5), featureShape: [2] }), /not a multiple of the feature size 2/);
    assert.throws(() => makeDataset({ x: new Float32Array(4), featureShape: [2], labels: Int32Array.from([0, 3]), classCount: 2 }), /contain class 3, expected classes 0\.\.1/);
  });
});

describe('splitIndices and countSharedExamples', () => {
  it('gives disjoint positions covering every example, 8:1:1 and 6:2:2', () => {
    for (const [fractions, sizes] of [[{ train: 0.8, validation: 0.1, test: 0.1 }, [800, 100, 100]], [{ train: 0.6, validation: 0.2, test: 0.2 }, [600, 200, 200]]] as const) {
      const s = splitIndices(1000, { fractions, seed: 3 });
      assert.deepEqual([s.train.length, s.validation.length, s.test.length], sizes);
      const all = [...s.train, ...s.validation, ...s.test];
      assert.equal(new Set(all).size, 1000);
      assert.ok(all.every((i) => i >= 0 && i < 1000));
    }
  });

  it('counts examples shared bit for bit between two sets', () => {
    const d = toy(20);
    const s = splitDataset(d, { fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 1 });
    assert.equal(countSharedExamples(s.train, s.test), 0);
    const leaky = subset(d, [0, 1, 2, 3]);
    const withCopies = subset(d, [2, 3, 10]);
    assert.equal(countSharedExamples(leaky, withCopies), 2);
    const negativeZero = makeDataset({ x: Float32Array.from([-0, 1]), featureShape: [2] });
    const zero = makeDataset({ x: Float32Array.from([0, 1]), featureShape: [2] });
    assert.equal(countSharedExamples(zero, negativeZero), 0, '-0 and 0 differ in their bits');
    assert.throws(() => countSharedExamples(d, makeDataset({ x: new Float32Array(3), featureShape: [3] })), /examples of 2 and 3 values cannot be compared/);
  });
});
