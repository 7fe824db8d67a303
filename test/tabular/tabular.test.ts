import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auroc } from '../../src/evaluation/classification-metrics';
import type { ColumnSpec } from '../../src/tabular/columns';
import { TabularEncoder } from '../../src/tabular/encoder';
import { mixedRowColumns, mixedRowLogit, mixedRowProbability, mixedRows } from '../../src/tabular/mixed-rows';

describe('mixedRows', () => {
  it('draws the lecture\'s six columns: 1, 2, 3 and 5 binary, 4 and 6 in (0, 1), reproducibly', () => {
    const { table, probabilities } = mixedRows({ rows: 500, seed: 3 });
    assert.deepEqual(table.columns.map((c) => c.kind), ['binary', 'binary', 'binary', 'continuous', 'binary', 'continuous']);
    assert.equal(table.x.length, 500 * 6);
    for (let r = 0; r < 500; r++) {
      for (const c of [0, 1, 2, 4]) assert.ok(table.x[r * 6 + c] === 0 || table.x[r * 6 + c] === 1);
      for (const c of [3, 5]) assert.ok(table.x[r * 6 + c] > 0 && table.x[r * 6 + c] < 1);
      assert.equal(probabilities[r], mixedRowProbability(table.x, r * 6));
    }
    assert.deepEqual(mixedRows({ rows: 500, seed: 3 }).table.x, table.x);
    assert.notDeepEqual(mixedRows({ rows: 500, seed: 4 }).table.x, table.x);
  });

  it('draws each label from its row\'s probability: observed rates match within a few standard errors, and the probability\'s own AUC is the best reachable', () => {
    const { table, probabilities } = mixedRows({ rows: 40000, seed: 1 });
    let expected = 0;
    let observed = 0;
    for (let r = 0; r < table.rows; r++) {
      expected += probabilities[r];
      observed += table.labels[r];
    }
    const se = Math.sqrt(expected * (1 - expected / table.rows));
    assert.ok(Math.abs(observed - expected) < 4 * se, `${observed} positives against ${expected.toFixed(0)} expected`);
    // Rows binned by their probability: the positive rate in each bin is the bin's mean probability.
    for (const [lo, hi] of [[0, 0.2], [0.2, 0.4], [0.4, 0.6], [0.6, 1]]) {
      let n = 0;
      let p = 0;
      let y = 0;
      for (let r = 0; r < table.rows; r++) {
        if (probabilities[r] < lo || probabilities[r] >= hi) continue;
        n++;
        p += probabilities[r];
        y += table.labels[r];
      }
      assert.ok(n > 500, `bin [${lo}, ${hi}) has ${n} rows`);
      assert.ok(Math.abs(y / n - p / n) < 4 * Math.sqrt((p / n) * (1 - p / n) / n), `bin [${lo}, ${hi}): rate ${y / n} against ${p / n}`);
    }
    const best = auroc(probabilities, table.labels);
    assert.ok(best > 0.75 && best < 0.85, `best AUC ${best}`);
    // A score that drops the c6 bump ranks worse: the bump carries signal.
    const withoutBump = Float64Array.from({ length: table.rows }, (_, r) => mixedRowLogit(table.x, r * 6) - 2.2 * Math.exp(-((table.x[r * 6 + 5] - 0.5) ** 2) / 0.02));
    assert.ok(auroc(withoutBump, table.labels) < best - 0.03);
  });

  it('checks its arguments', () => {
    assert.throws(() => mixedRows({ rows: 0, seed: 1 }), /mixedRows: rows must be a positive integer/);
    assert.throws(() => mixedRows({ rows: 5, seed: 0.5 }), /mixedRows: seed must be an integer, got 0.5/);
    assert.equal(mixedRowColumns.length, 6);
  });
});

describe('TabularEncoder', () => {
  const columns: ColumnSpec[] = [
    { name: 'size', kind: 'continuous' },
    { name: 'flag', kind: 'binary' },
    { name: 'colour', kind: 'categorical', categories: 3 },
  ];
  const x = Float64Array.from([1, 0, 2, 3, 1, 0, 5, 1, 1]);

  it('standardises with the fitted rows\' mean and sd (n - 1), keeps binary values, one-hot encodes categories, and inverts', () => {
    const encoder = TabularEncoder.fit({ x, rows: 3, columns });
    assert.equal(encoder.width, 5);
    assert.deepEqual(encoder.layout.map((s) => [s.start, s.width]), [[0, 1], [1, 1], [2, 3]]);
    assert.equal(encoder.means[0], 3);
    assert.equal(encoder.scales[0], 2); // values 1, 3, 5: variance (4 + 0 + 4) / 2
    assert.deepEqual(Array.from(encoder.transform(x, 3)), [-1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0]);
    assert.deepEqual(Array.from(encoder.inverseTransform(encoder.transform(x, 3), 3)), Array.from(x));
    // Rows it was not fitted on are encoded with the fitted parameters.
    assert.deepEqual(Array.from(encoder.transform([7, 1, 2], 1)), [2, 1, 0, 0, 1]);
    // Decoded model outputs: binary rounded at 0.5, the largest category wins.
    assert.deepEqual(Array.from(encoder.inverseTransform([0.5, 0.7, 0.1, 0.3, 0.2], 1)), [4, 1, 1]);
  });

  it('refuses values its columns do not allow, a constant continuous column and malformed specs', () => {
    assert.throws(() => TabularEncoder.fit({ x: Float64Array.from([1, 2, 0, 3, 0, 0]), rows: 2, columns }), /row 0, column 1 \(flag, binary\) is 2, expected 0 or 1/);
    assert.throws(() => TabularEncoder.fit({ x: Float64Array.from([1, 0, 3, 3, 1, 0]), rows: 2, columns }), /row 0, column 2 \(colour, categorical\) is 3, expected an integer in 0\.\.2/);
    assert.throws(() => TabularEncoder.fit({ x: Float64Array.from([4, 0, 1, 4, 1, 0]), rows: 2, columns }), /continuous column 0 \(size\) has the same value in every row/);
    assert.throws(() => TabularEncoder.fit({ x: Float64Array.from([NaN, 0, 1, 4, 1, 0]), rows: 2, columns }), /row 0, column 0 \(size, continuous\) is NaN/);
    assert.throws(() => TabularEncoder.fit({ x, rows: 3, columns: [{ name: 'c', kind: 'categorical' }, ...columns.slice(1)] }), /a categorical column needs categories, an integer >= 2, got undefined/);
    const encoder = TabularEncoder.fit({ x, rows: 3, columns });
    assert.throws(() => encoder.transform([1, 0], 1), /2 values, expected rows \* cols = 1 \* 3 = 3/);
    assert.throws(() => encoder.inverseTransform([1, 0, 0], 1), /3 values, expected rows \* width = 1 \* 5 = 5/);
  });
});
