import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import { auroc } from '../../src/evaluation/classification-metrics';
import { MixedConditionalVae } from '../../src/models/mixed-vae';
import { train } from '../../src/training/trainer';
import type { ColumnSpec, MixedTable } from '../../src/tabular/columns';
import { encodedDataset, TabularEncoder } from '../../src/tabular/encoder';
import { mixedRows } from '../../src/tabular/mixed-rows';
import { splitTable } from '../../src/tabular/rows';
import { GradientBoostedTrees } from '../../src/trees/gradient-boosting';

before(async () => {
  await tf.setBackend('cpu');
});

const threeKinds: ColumnSpec[] = [
  { name: 'flag', kind: 'binary' },
  { name: 'size', kind: 'continuous' },
  { name: 'colour', kind: 'categorical', categories: 3 },
];

/** Rows of `threeKinds` whose every column depends on the label: class 1 flags more, is larger, and prefers colour 2. */
function threeKindRows(rows: number, seed: number): MixedTable {
  const random = new Random(seed);
  const x = new Float64Array(rows * 3);
  const labels = new Uint8Array(rows);
  const colours = [[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]];
  for (let r = 0; r < rows; r++) {
    const y = r % 2;
    labels[r] = y;
    x[r * 3] = random.next() < (y === 1 ? 0.8 : 0.2) ? 1 : 0;
    x[r * 3 + 1] = 10 + 3 * y + random.normal();
    const u = random.next();
    x[r * 3 + 2] = u < colours[y][0] ? 0 : u < colours[y][0] + colours[y][1] ? 1 : 2;
  }
  return { x, rows, cols: 3, labels, columns: threeKinds };
}

/** Mean of column `c` over the rows of label `label`. */
function columnMean(table: MixedTable, c: number, label: number, transform: (v: number) => number = (v) => v): number {
  let sum = 0;
  let count = 0;
  for (let r = 0; r < table.rows; r++) {
    if (table.labels[r] !== label) continue;
    sum += transform(table.x[r * table.cols + c]);
    count++;
  }
  return sum / count;
}

describe('MixedConditionalVae', () => {
  it('scores a row by the sum of its columns\' log-likelihoods: Bernoulli, Gaussian with the trained sigma, categorical (by hand)', () => {
    const model = new MixedConditionalVae({ columns: threeKinds, classCount: 2, latentDim: 2, hiddenSizes: [4], seed: 1 });
    assert.equal(model.width, 5);
    const x = [1, 0.3, 0, 0, 1, 0, -1.2, 0, 1, 0];
    const logits = [0.5, 0.1, 1, 2, 3, -2, 0.4, 0.2, -0.1, 0.7];
    const sigma = 0.01 + 0.99 / 2;
    assert.ok(Math.abs(model.columnScales()[1] - sigma) < 1e-7);
    const expected = [0, 1].map((r) => {
      const [b, c, k0, k1, k2] = x.slice(r * 5, r * 5 + 5);
      const [lb, mu, l0, l1, l2] = logits.slice(r * 5, r * 5 + 5);
      const bernoulli = b * lb - Math.log1p(Math.exp(lb));
      const gaussian = -0.5 * ((c - mu) / sigma) ** 2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
      const logZ = Math.log(Math.exp(l0) + Math.exp(l1) + Math.exp(l2));
      const categorical = k0 * (l0 - logZ) + k1 * (l1 - logZ) + k2 * (l2 - logZ);
      return bernoulli + gaussian + categorical;
    });
    const got = model.decoderLogLikelihood(tf.tensor2d(x, [2, 5]), tf.tensor2d(logits, [2, 5])).dataSync();
    expected.forEach((e, r) => assert.ok(Math.abs(got[r] - e) < 1e-4, `row ${r}: ${got[r]} against ${e}`));
    assert.deepEqual(model.namedVariables.map((v) => v.name).filter((n) => n.includes('scale')), ['decoder/scale/s']);
  });

  it('learns each column given the label (dense): synthetic rows of each class match the real class\'s binary rate, continuous mean and sd, and category frequencies', async () => {
    const table = threeKindRows(1200, 1);
    const encoder = TabularEncoder.fit(table);
    const model = new MixedConditionalVae({ columns: threeKinds, classCount: 2, latentDim: 2, hiddenSizes: [32, 32], seed: 2 });
    await train(model, { train: encodedDataset(encoder, table), epochs: 30, batchSize: 64, learningRate: 3e-3, seed: 1 });
    const synthetic = model.synthesizeClasses(encoder, { counts: [600, 600], seed: 5 });
    for (const label of [0, 1]) {
      const real = { flag: columnMean(table, 0, label), size: columnMean(table, 1, label), colour2: columnMean(table, 2, label, (v) => (v === 2 ? 1 : 0)) };
      const fake = { flag: columnMean(synthetic, 0, label), size: columnMean(synthetic, 1, label), colour2: columnMean(synthetic, 2, label, (v) => (v === 2 ? 1 : 0)) };
      const sd = (t: MixedTable) => Math.sqrt(columnMean(t, 1, label, (v) => (v - columnMean(t, 1, label)) ** 2));
      assert.ok(Math.abs(real.flag - fake.flag) < 0.08, `label ${label}: flag rate ${fake.flag.toFixed(3)} against ${real.flag.toFixed(3)}`);
      assert.ok(Math.abs(real.size - fake.size) < 0.3, `label ${label}: size mean ${fake.size.toFixed(2)} against ${real.size.toFixed(2)}`);
      assert.ok(Math.abs(sd(synthetic) / sd(table) - 1) < 0.25, `label ${label}: size sd ${sd(synthetic).toFixed(2)} against ${sd(table).toFixed(2)}`);
      assert.ok(Math.abs(real.colour2 - fake.colour2) < 0.08, `label ${label}: colour 2 share ${fake.colour2.toFixed(3)} against ${real.colour2.toFixed(3)}`);
    }
  });

  it('synthesises rows a classifier can learn from (train on synthetic, test on real): GBT AUC near the real-trained one, far above an untrained model\'s rows', async () => {
    const all = mixedRows({ rows: 4000, seed: 3 }).table;
    const { train: part, test } = splitTable(all, { trainCount: 1500, validationCount: 0, testCount: 2500, seed: 2 });
    const encoder = TabularEncoder.fit(part);
    const positives = part.labels.reduce((a, b) => a + b, 0);
    const counts = [part.rows - positives, positives];
    const trees = { rounds: 60, learningRate: 0.1, numLeaves: 8, minDataInLeaf: 20 };
    const aucOf = (t: MixedTable) => auroc(GradientBoostedTrees.fit(t, trees).predictProba(test), test.labels);
    const untrained = new MixedConditionalVae({ columns: part.columns, classCount: 2, latentDim: 4, seed: 4 });
    const model = new MixedConditionalVae({ columns: part.columns, classCount: 2, latentDim: 4, seed: 4 });
    await train(model, { train: encodedDataset(encoder, part), epochs: 25, batchSize: 64, learningRate: 3e-3, seed: 1 });
    const real = aucOf(part);
    const learned = aucOf(model.synthesizeClasses(encoder, { counts, seed: 9 }));
    const blind = aucOf(untrained.synthesizeClasses(encoder, { counts, seed: 9 }));
    assert.ok(learned > real - 0.08 && learned > 0.68, `synthetic-trained AUC ${learned.toFixed(3)}, real-trained ${real.toFixed(3)}`);
    // The bound above is a check: rows from the same network untrained (its label input shifts them
    // at random) fall below it.
    assert.ok(blind < 0.68 && blind < learned - 0.1, `an untrained model's rows give AUC ${blind.toFixed(3)}`);
  });

  it('the attention architecture (one token per column, transformer blocks) learns the same class-conditional columns', async () => {
    const table = threeKindRows(800, 6);
    const encoder = TabularEncoder.fit(table);
    const model = new MixedConditionalVae({ columns: threeKinds, classCount: 2, latentDim: 2, architecture: 'attention', tokenDim: 16, heads: 2, blocks: 1, seed: 3 });
    assert.ok(model.namedVariables.some((v) => v.name === 'encoder/block0/query/w'), model.namedVariables.map((v) => v.name).join(', '));
    assert.ok(model.namedVariables.some((v) => v.name === 'decoder/heads/w'));
    await train(model, { train: encodedDataset(encoder, table), epochs: 20, batchSize: 64, learningRate: 3e-3, seed: 1 });
    const synthetic = model.synthesizeClasses(encoder, { counts: [400, 400], seed: 5 });
    for (const label of [0, 1]) {
      for (const [c, tolerance] of [[0, 0.1], [1, 0.4]] as const) {
        const real = columnMean(table, c, label);
        const fake = columnMean(synthetic, c, label);
        assert.ok(Math.abs(real - fake) < tolerance, `label ${label}, column ${c}: ${fake.toFixed(3)} against ${real.toFixed(3)}`);
      }
    }
  });

  it('draws reproducibly for a seed, valid values for every kind, and refuses bad labels and a mismatched encoder', () => {
    const table = threeKindRows(50, 2);
    const encoder = TabularEncoder.fit(table);
    const model = new MixedConditionalVae({ columns: threeKinds, classCount: 2, latentDim: 2, seed: 1 });
    const a = model.sampleEncoded({ count: 30, label: 1, seed: 4 });
    assert.deepEqual(model.sampleEncoded({ count: 30, label: 1, seed: 4 }), a);
    assert.notDeepEqual(model.sampleEncoded({ count: 30, label: 1, seed: 5 }), a);
    for (let r = 0; r < 30; r++) {
      assert.ok(a[r * 5] === 0 || a[r * 5] === 1);
      assert.equal(a[r * 5 + 2] + a[r * 5 + 3] + a[r * 5 + 4], 1);
    }
    const stacked = model.synthesizeClasses(encoder, { counts: [3, 5], seed: 8 });
    assert.deepEqual(Array.from(stacked.labels), [0, 0, 0, 1, 1, 1, 1, 1]);
    assert.deepEqual(stacked.x.subarray(9), model.synthesize(encoder, { count: 5, label: 1, seed: 9 }).x);
    assert.throws(() => model.synthesizeClasses(encoder, { counts: [3], seed: 1 }), /one integer >= 0 per class \(2\)/);
    const rows = model.synthesize(encoder, { count: 30, label: 1, seed: 4 });
    assert.ok(rows.labels.every((l) => l === 1));
    assert.throws(() => model.sampleEncoded({ count: 3, label: 2, seed: 1 }), /label must be a class in 0\.\.1, got 2/);
    const other = TabularEncoder.fit(mixedRows({ rows: 50, seed: 1 }).table);
    assert.throws(() => model.synthesize(other, { count: 3, label: 0, seed: 1 }), /the encoder's columns .* are not the model's/);
    assert.throws(() => new MixedConditionalVae({ columns: threeKinds, classCount: 2, latentDim: 2, architecture: 'attention', tokenDim: 10, heads: 4, seed: 1 }), /tokenDim \(10\) must be a multiple of heads \(4\)/);
    assert.throws(() => new MixedConditionalVae({ columns: threeKinds, classCount: 2, latentDim: 2, architecture: 'conv' as 'dense', seed: 1 }), /architecture must be dense\|attention/);
    assert.throws(() => model.computeLoss({ x: tf.zeros([2, 5]) }), /needs the labels/);
  });
});
