import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MixedTable } from '../../src/tabular/columns';
import { mixedRows } from '../../src/tabular/mixed-rows';
import { jitterRows, smoteRows, splitTable, takeRows } from '../../src/tabular/rows';

const columns = [
  { name: 'a', kind: 'continuous' as const },
  { name: 'b', kind: 'binary' as const },
  { name: 'c', kind: 'categorical' as const, categories: 3 },
];
/** Six rows: label 1 for the first four. */
const table: MixedTable = {
  x: Float64Array.from([0, 1, 2, 1, 1, 2, 2, 0, 2, 10, 1, 0, 5, 0, 1, 6, 0, 1]),
  rows: 6,
  cols: 3,
  labels: Uint8Array.from([1, 1, 1, 1, 0, 0]),
  columns,
};

describe('taking and splitting rows', () => {
  it('takes rows in order and splits into disjoint parts by one seeded shuffle', () => {
    const two = takeRows(table, [3, 0]);
    assert.deepEqual(Array.from(two.x), [10, 1, 0, 0, 1, 2]);
    assert.deepEqual(Array.from(two.labels), [1, 1]);
    assert.throws(() => takeRows(table, [6]), /takeRows: index 0 is 6, expected an integer in 0\.\.5/);
    const { table: big } = mixedRows({ rows: 300, seed: 1 });
    const parts = splitTable(big, { trainCount: 100, validationCount: 50, testCount: 150, seed: 2 });
    const key = (t: MixedTable, r: number) => Array.from(t.x.subarray(r * 6, r * 6 + 6)).join(',');
    const seen = new Set<string>();
    for (const t of [parts.train, parts.validation, parts.test]) for (let r = 0; r < t.rows; r++) seen.add(key(t, r));
    const all = new Set(Array.from({ length: 300 }, (_, r) => key(big, r)));
    assert.equal(seen.size, all.size, 'every row lands in exactly one part');
    assert.deepEqual(splitTable(big, { trainCount: 100, validationCount: 50, testCount: 150, seed: 2 }).test.x, parts.test.x);
    assert.throws(() => splitTable(big, { trainCount: 200, validationCount: 50, testCount: 51, seed: 2 }), /301 rows asked for \(200 \+ 50 \+ 51\), the table has 300/);
  });
});

describe('the jitter and SMOTE baselines', () => {
  it('jitter: copies of rows of the label asked for, continuous values moved by about the scale, few others changed', () => {
    const { table: big } = mixedRows({ rows: 2000, seed: 5 });
    const out = jitterRows(big, { count: 3000, label: 1, scale: 0.1, flip: 0.05, seed: 1 });
    assert.equal(out.rows, 3000);
    assert.ok(out.labels.every((l) => l === 1));
    for (let r = 0; r < out.rows; r++) for (const c of [0, 1, 2, 4]) assert.ok(out.x[r * 6 + c] === 0 || out.x[r * 6 + c] === 1);
    assert.deepEqual(jitterRows(big, { count: 3000, label: 1, seed: 1 }).x, out.x);
    assert.throws(() => jitterRows(big, { count: 5, flip: 2, seed: 1 }), /flip must be in \[0, 1\], got 2/);
  });

  it('SMOTE: each continuous value lies between a row of the label and one of its neighbours; the others are the neighbours\' majority', () => {
    const out = smoteRows(table, { count: 200, label: 1, neighbours: 2, seed: 3 });
    assert.ok(out.labels.every((l) => l === 1));
    for (let r = 0; r < out.rows; r++) {
      const a = out.x[r * 3];
      assert.ok(a >= 0 && a <= 10, `continuous ${a} within the label-1 rows' range`);
      assert.ok(out.x[r * 3 + 1] === 0 || out.x[r * 3 + 1] === 1);
      assert.ok([0, 1, 2].includes(out.x[r * 3 + 2]));
    }
    // Row 3 (a = 10) is far from the others: its nearest two label-1 rows are rows 2 and 1 (a = 2, 1),
    // so a row made from it lies in [1, 10] or [2, 10]; a row made from row 0 (a = 0) lies in [0, 2].
    const values = Array.from({ length: out.rows }, (_, r) => out.x[r * 3]);
    assert.ok(values.some((a) => a > 2), 'some rows come from the far row');
    assert.ok(!values.some((a) => a < 0 || a > 10));
    // Rows of label 0 come from its own two rows only (a = 5 and 6).
    const zero = smoteRows(table, { count: 50, label: 0, seed: 4 });
    for (let r = 0; r < zero.rows; r++) assert.ok(zero.x[r * 3] >= 5 && zero.x[r * 3] <= 6);
    assert.throws(() => smoteRows(table, { count: 5, label: 2, seed: 1 }), /no row of the table has label 2/);
  });
});
