import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ColumnSpec, MixedTable } from '../../src/tabular/columns';
import { TabularEncoder } from '../../src/tabular/encoder';
import { closestRowDistances, columnSummaries, correlationMatrix } from '../../src/tabular/fidelity';
import { mixedRows } from '../../src/tabular/mixed-rows';
import { concatTables, takeRows } from '../../src/tabular/rows';

before(async () => {
  await tf.setBackend('cpu');
});

const columns: ColumnSpec[] = [
  { name: 'b', kind: 'binary' },
  { name: 'c', kind: 'continuous' },
  { name: 'k', kind: 'categorical', categories: 3, levels: ['x', 'y', 'z'] },
];
const small: MixedTable = { x: Float64Array.from([1, 2, 0, 0, 4, 2, 1, 6, 1, 0, 8, 2]), rows: 4, cols: 3, labels: Uint8Array.from([1, 0, 1, 0]), columns };

describe('columnSummaries and correlationMatrix', () => {
  it('summarise binary and continuous columns, each categorical level and the label (by hand)', () => {
    const rows = columnSummaries(small);
    assert.deepEqual(rows.map((r) => r.column), ['b', 'c', 'k=x', 'k=y', 'k=z', 'label']);
    assert.equal(rows[0].mean, 0.5);
    assert.equal(rows[1].mean, 5);
    assert.ok(Math.abs(rows[1].sd - Math.sqrt(20 / 3)) < 1e-12);
    assert.deepEqual(rows.slice(2, 5).map((r) => r.mean), [0.25, 0.25, 0.5]);
  });

  it('give Pearson correlations: b and the label agree (1), c against the label by hand, a constant variable 0', () => {
    const { names, matrix, constant } = correlationMatrix(small);
    const at = (a: string, b: string) => matrix[names.indexOf(a)][names.indexOf(b)];
    assert.equal(at('b', 'label'), 1);
    // c = 2, 4, 6, 8 against label 1, 0, 1, 0: centred -3, -1, 1, 3 and 0.5, -0.5, 0.5, -0.5.
    assert.ok(Math.abs(at('c', 'label') - -2 / (Math.sqrt(20) * 1)) < 1e-12);
    assert.deepEqual(constant, []);
    const flat = { ...small, x: Float64Array.from([1, 2, 0, 1, 4, 2, 1, 6, 1, 1, 8, 2]) };
    const r = correlationMatrix(flat);
    assert.deepEqual(r.constant, ['b']);
    assert.equal(r.matrix[0][1], 0);
    assert.equal(r.matrix[0][0], 1);
  });
});

describe('closestRowDistances', () => {
  it('is 0 for copies of reference rows and the encoded Euclidean distance otherwise', async () => {
    const table = mixedRows({ rows: 200, seed: 1 }).table;
    const encoder = TabularEncoder.fit(table);
    const copies = takeRows(table, [5, 17, 99]);
    const d = await closestRowDistances(copies, table, encoder);
    assert.ok(d.every((v) => v < 1e-3), Array.from(d).join(', '));
    const moved = takeRows(table, [5]);
    moved.x[3] += 10 * encoder.scales[3];
    const [far] = await closestRowDistances(moved, table, encoder);
    // Moving one continuous value 10 sds away: the closest row is at most 10 away (the original row).
    assert.ok(far > 1 && far <= 10 + 1e-3, String(far));
  });
});

describe('concatTables', () => {
  it('stacks rows and labels in order and refuses tables of other columns', () => {
    const both = concatTables([small, takeRows(small, [2])]);
    assert.equal(both.rows, 5);
    assert.deepEqual(Array.from(both.x.subarray(12)), [1, 6, 1]);
    assert.deepEqual(Array.from(both.labels), [1, 0, 1, 0, 1]);
    assert.throws(() => concatTables([small, mixedRows({ rows: 3, seed: 1 }).table]), /table 1 has columns b1, b2/);
    assert.throws(() => concatTables([]), /no tables/);
  });
});
