import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { feedbackHtml, formatGradeTable, gradeExecuted } from '../../src/coursework/grades';
import type { NbgraderMetadata, Notebook, NotebookCell } from '../../src/coursework/nbgrader';

const meta = (m: Partial<NbgraderMetadata>): NbgraderMetadata => ({ schema_version: 3, grade: false, solution: false, locked: false, ...m });
const code = (id: string, nbgrader?: Partial<NbgraderMetadata>, outputs: NotebookCell['outputs'] = []): NotebookCell => ({
  cell_type: 'code',
  id,
  metadata: nbgrader === undefined ? {} : { nbgrader: meta({ grade_id: id, ...nbgrader }) },
  source: `// ${id} <check>`,
  outputs,
  execution_count: 1,
});

const executed: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { language: 'typescript' } },
  cells: [
    code('setup'),
    code('ex-a', { solution: true }),
    code('ex-a-check', { grade: true, locked: true, points: 2 }, [{ output_type: 'stream', name: 'stdout', text: 'passed' }]),
    code('ex-b', { solution: true }),
    code('ex-b-check', { grade: true, locked: true, points: 3 }),
    { cell_type: 'markdown', id: 'q', metadata: { nbgrader: meta({ grade: true, solution: true, grade_id: 'q', points: 1 }) }, source: 'My answer: because.' },
  ],
};
const runs = [
  { index: 0, id: 'setup', status: 'ok' as const, message: null },
  { index: 1, id: 'ex-a', status: 'ok' as const, message: null },
  { index: 2, id: 'ex-a-check', status: 'ok' as const, message: null },
  { index: 3, id: 'ex-b', status: 'ok' as const, message: null },
  { index: 4, id: 'ex-b-check', status: 'failed' as const, message: 'Error: check failed: <b>' },
];

describe('gradeExecuted', () => {
  const report = gradeExecuted(executed, runs, { submission: 'alice/02.ipynb', notebook: '02', restored: ['cell "ex-b-check" is locked and was edited: graded with the source\'s text'] });

  it('scores each graded cell in notebook order and totals the checks', () => {
    assert.deepEqual(
      report.rows.map((r) => [r.gradeId, r.kind, r.points, r.maxPoints, r.result]),
      [
        ['ex-a-check', 'check', 2, 2, 'passed'],
        ['ex-b-check', 'check', 0, 3, 'Error: check failed: <b>'],
        ['q', 'written', null, 1, 'to grade by hand'],
      ],
    );
    assert.deepEqual([report.score, report.maxScore, report.manualPoints, report.ranToEnd], [2, 5, 1, true]);
  });

  it('marks a run that ended early and refuses run records of other cells', () => {
    const early = gradeExecuted(executed, [...runs.slice(0, 4), { index: 4, id: 'ex-b-check', status: 'not run', message: null }], { submission: 's', notebook: '02' });
    assert.equal(early.ranToEnd, false);
    assert.match(early.rows[1].result, /^not run/);
    assert.throws(() => gradeExecuted(executed, runs.slice(0, 4), { submission: 's', notebook: '02' }), /no run record for graded cell 4 \("ex-b-check"\)/);
    assert.throws(() => gradeExecuted(executed, runs.map((r) => (r.index === 2 ? { ...r, id: 'other' } : r)), { submission: 's', notebook: '02' }), /is for cell "other"/);
  });

  it('prints a table with the totals and what was restored', () => {
    const table = formatGradeTable(report);
    assert.match(table, /^alice\/02\.ipynb \(02\)\nexercise +points +result\n/);
    assert.match(table, /ex-b-check +0 \/ 3 +Error: check failed: <b>/);
    assert.match(table, /q \(written\) +\? \/ 1 +to grade by hand/);
    assert.match(table, /total: 2 \/ 5 points from checks \(1 of 2 passed\); written answers worth 1 point to grade by hand/);
    assert.match(table, /restored: cell "ex-b-check" is locked and was edited/);
  });

  it('writes a self-contained feedback page with every graded cell, its source escaped', () => {
    const html = feedbackHtml(report, executed);
    assert.match(html, /<h1>02: 2 \/ 5 points from checks<\/h1>/);
    assert.match(html, /<section class="failed"><h2>ex-b-check: 0 \/ 3<\/h2>/);
    assert.ok(html.includes('Error: check failed: &lt;b&gt;') && html.includes('// ex-a-check &lt;check&gt;'));
    assert.ok(!/<script|src="http/.test(html));
  });
});
