import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  cellSource,
  gradeCell,
  hiddenTestRegions,
  nbgraderFormat,
  removeHiddenTests,
  replaceSolutionRegions,
  restoreFromSource,
  solutionRegions,
  studentVersion,
  validateNbgraderMetadata,
  type NbgraderMetadata,
  type Notebook,
  type NotebookCell,
} from '../../src/coursework/nbgrader';

const meta = (m: Partial<NbgraderMetadata>): NbgraderMetadata => ({ schema_version: 3, grade: false, solution: false, locked: false, ...m });

function notebook(cells: NotebookCell[]): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'tslab', language: 'typescript' } }, cells };
}

const solutionCell: NotebookCell = {
  cell_type: 'code',
  id: 'ex-sum',
  metadata: { nbgrader: meta({ solution: true, grade_id: 'ex-sum' }) },
  source: 'function total(xs: number[]): number {\n  // BEGIN SOLUTION\n  return xs.reduce((a, b) => a + b, 0);\n  // END SOLUTION\n}',
  outputs: [{ output_type: 'stream', name: 'stdout', text: 'old output' }],
  execution_count: 4,
};
const checkCell: NotebookCell = {
  cell_type: 'code',
  id: 'ex-sum-check',
  metadata: { nbgrader: meta({ grade: true, locked: true, grade_id: 'ex-sum-check', points: 2 }) },
  source: "check(total([1, 2]) === 3, 'sum');\n// BEGIN HIDDEN TESTS\ncheck(total([]) === 0, 'empty');\n// END HIDDEN TESTS",
  outputs: [],
  execution_count: null,
};
const answerCell: NotebookCell = {
  cell_type: 'markdown',
  id: 'q-why',
  metadata: { nbgrader: meta({ solution: true, grade: true, grade_id: 'q-why', points: 1 }) },
  source: 'Because the sum of nothing is 0.',
};
const plainCell: NotebookCell = { cell_type: 'code', id: 'plain', metadata: {}, source: 'console.log(1);', outputs: [], execution_count: null };

describe('nbgrader regions', () => {
  it('replaces each solution region by the stub, indented as its BEGIN line', () => {
    const { source, replaced } = replaceSolutionRegions(cellSource(solutionCell), nbgraderFormat.codeStub);
    assert.ok(replaced);
    assert.equal(source, "function total(xs: number[]): number {\n  // YOUR CODE HERE\n  throw new Error('No answer given');\n}");
    assert.deepEqual(solutionRegions(cellSource(solutionCell)), [['  return xs.reduce((a, b) => a + b, 0);']]);
  });

  it('leaves a source without regions alone and refuses nested or unclosed regions', () => {
    assert.deepEqual(replaceSolutionRegions('a\nb', 'STUB'), { source: 'a\nb', replaced: false });
    assert.throws(() => replaceSolutionRegions('// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION', 'S'), /nested "BEGIN SOLUTION" at line 2/);
    assert.throws(() => replaceSolutionRegions('x\n// BEGIN SOLUTION\ny', 'S'), /no "END SOLUTION" after the "BEGIN SOLUTION" at line 2/);
    assert.throws(() => replaceSolutionRegions('// END SOLUTION', 'S'), /without "BEGIN SOLUTION"/);
  });

  it('removes hidden tests with their delimiters', () => {
    assert.deepEqual(hiddenTestRegions(cellSource(checkCell)), [["check(total([]) === 0, 'empty');"]]);
    assert.equal(removeHiddenTests(cellSource(checkCell)).source, "check(total([1, 2]) === 3, 'sum');");
  });
});

describe('nbgrader metadata', () => {
  it('accepts schema 3 cells of each kind', () => {
    validateNbgraderMetadata(notebook([solutionCell, checkCell, answerCell, plainCell]));
  });

  it('refuses what nbgrader refuses, naming the cell', () => {
    const bad = (m: Partial<NbgraderMetadata>, type: NotebookCell['cell_type'] = 'code') =>
      notebook([{ cell_type: type, id: 'bad', metadata: { nbgrader: meta(m) }, source: '', outputs: [] }]);
    assert.throws(() => validateNbgraderMetadata(bad({ schema_version: 2, grade_id: 'a', solution: true })), /cell 0 \(id bad\): nbgrader schema_version must be 3, got 2/);
    assert.throws(() => validateNbgraderMetadata(bad({ solution: true })), /needs a grade_id/);
    assert.throws(() => validateNbgraderMetadata(bad({ solution: true, grade_id: 'a b' })), /may hold only letters/);
    assert.throws(() => validateNbgraderMetadata(bad({ grade: true, grade_id: 'a' })), /needs points/);
    assert.throws(() => validateNbgraderMetadata(bad({ grade: true, grade_id: 'a', points: -1 })), /needs points/);
    assert.throws(() => validateNbgraderMetadata(bad({ grade: true, grade_id: 'a', points: 1 }, 'markdown')), /Markdown cell that is graded must be a solution/);
    assert.throws(() => validateNbgraderMetadata(bad({ grade_id: 'a', solution: true, extra: 1 } as Partial<NbgraderMetadata>)), /unknown nbgrader metadata key "extra"/);
    assert.throws(() => validateNbgraderMetadata(notebook([checkCell, { ...checkCell, id: 'other' }])), /duplicate grade_id "ex-sum-check"/);
  });
});

describe('studentVersion', () => {
  const student = studentVersion(notebook([solutionCell, checkCell, answerCell, plainCell]));

  it('stubs solutions, removes hidden tests, clears outputs and locks cells as generate_assignment does', () => {
    const [sol, check, answer, plain] = student.cells;
    assert.equal(cellSource(sol), "function total(xs: number[]): number {\n  // YOUR CODE HERE\n  throw new Error('No answer given');\n}");
    assert.deepEqual(sol.outputs, []);
    assert.equal(sol.execution_count, null);
    assert.equal(sol.metadata.deletable, false);
    assert.equal(sol.metadata.editable, undefined, 'a solution cell stays editable');
    assert.equal(cellSource(check), "check(total([1, 2]) === 3, 'sum');");
    assert.deepEqual([check.metadata.deletable, check.metadata.editable], [false, false]);
    assert.equal(cellSource(answer), nbgraderFormat.textStub);
    assert.equal(answer.metadata.nbgrader?.cell_type, 'markdown');
    assert.deepEqual(plain.metadata, {});
  });

  it('leaves the instructor notebook unchanged', () => {
    assert.match(cellSource(solutionCell), /BEGIN SOLUTION/);
    assert.equal(solutionCell.execution_count, 4);
  });

  it('refuses a solution region outside a solution cell and hidden tests outside a graded cell', () => {
    const stray = { ...plainCell, source: '// BEGIN SOLUTION\nx\n// END SOLUTION' };
    assert.throws(() => studentVersion(notebook([stray])), /cell 0 \(id plain\): a solution region in a cell that is not marked as a solution cell/);
    const hidden = { ...plainCell, source: '// BEGIN HIDDEN TESTS\nx\n// END HIDDEN TESTS' };
    assert.throws(() => studentVersion(notebook([hidden])), /hidden tests in a cell that is not marked as a graded cell/);
    assert.throws(() => studentVersion({ ...notebook([]), metadata: { kernelspec: { language: 'python' } } }), /kernel language is "python"/);
  });
});

describe('restoreFromSource', () => {
  const source = notebook([solutionCell, checkCell, answerCell, plainCell]);
  const student = studentVersion(source);

  it('gives an edited check, its hidden tests and its points back, and reports it', () => {
    const tampered = JSON.parse(JSON.stringify(student)) as Notebook;
    tampered.cells[1].source = '// nothing to check';
    tampered.cells[1].metadata.nbgrader!.points = 50;
    tampered.cells[0].source = 'function total(xs: number[]): number { return 3; }';
    const { notebook: restored, changes } = restoreFromSource(tampered, source);
    assert.equal(cellSource(restored.cells[1]), cellSource(checkCell), 'the check with its hidden tests');
    assert.equal(restored.cells[1].metadata.nbgrader?.points, 2);
    assert.equal(cellSource(restored.cells[0]), 'function total(xs: number[]): number { return 3; }', "the student's answer stays");
    assert.deepEqual(changes, ['cell "ex-sum-check": points was changed to 50, restored to 2', 'cell "ex-sum-check" is locked and was edited: graded with the source\'s text']);
  });

  it('puts a deleted check back after the cell before it; an unchanged student version only gets its hidden tests back', () => {
    const deleted = { ...student, cells: student.cells.filter((cell) => cell.id !== 'ex-sum-check') };
    const { notebook: restored, changes } = restoreFromSource(deleted, source);
    assert.deepEqual(restored.cells.map((c) => c.id), ['ex-sum', 'ex-sum-check', 'q-why', 'plain']);
    assert.deepEqual(changes, ['graded cell "ex-sum-check" was missing: put back from the source']);
    const plain = restoreFromSource(student, source);
    assert.deepEqual(plain.changes, [], 'putting the hidden tests back is no change');
    assert.equal(cellSource(plain.notebook.cells[1]), cellSource(checkCell));
  });

  it('makes a check turned into Markdown a code cell again', () => {
    const turned = JSON.parse(JSON.stringify(student)) as Notebook;
    turned.cells[1] = { cell_type: 'markdown', id: 'ex-sum-check', metadata: turned.cells[1].metadata, source: 'gone' };
    const { notebook: restored } = restoreFromSource(turned, source);
    assert.equal(restored.cells[1].cell_type, 'code');
    assert.deepEqual(restored.cells[1].outputs, []);
    assert.equal(cellSource(restored.cells[1]), cellSource(checkCell));
  });
});

describe('gradeCell', () => {
  const check = (outputs: NotebookCell['outputs']) => ({ ...checkCell, outputs });
  it('gives full points to a check that ran clean, none to one that failed or wrote to stderr', () => {
    assert.deepEqual(gradeCell(check([{ output_type: 'stream', name: 'stdout', text: 'fine' }]), 'ok', null), { points: 2, maxPoints: 2, result: 'passed' });
    assert.deepEqual(gradeCell(check([]), 'failed', 'Error: check failed: sum'), { points: 0, maxPoints: 2, result: 'Error: check failed: sum' });
    assert.equal(gradeCell(check([{ output_type: 'stream', name: 'stderr', text: 'warning: x\n' }]), 'ok', null).points, 0);
    assert.equal(gradeCell(check([]), 'not run', null).points, 0);
  });

  it('reads a number as partial credit, as nbgrader does', () => {
    assert.deepEqual(gradeCell(check([{ output_type: 'execute_result', data: { 'text/plain': '1.5' } }]), 'ok', null), { points: 1.5, maxPoints: 2, result: 'partial credit: 1.5 of 2' });
    assert.equal(gradeCell(check([{ output_type: 'execute_result', data: { 'text/plain': '7' } }]), 'ok', null).points, 0);
    assert.equal(gradeCell(check([{ output_type: 'execute_result', data: { 'text/plain': "'text'" } }]), 'ok', null).points, 2);
  });

  it('leaves a written answer to a person unless it is still the stub', () => {
    assert.deepEqual(gradeCell(answerCell, 'ok', null), { points: null, maxPoints: 1, result: 'to grade by hand' });
    assert.deepEqual(gradeCell({ ...answerCell, source: nbgraderFormat.textStub }, 'ok', null), { points: 0, maxPoints: 1, result: 'unanswered' });
  });
});

describe('nbgrader_config.py', () => {
  it('sets the same TypeScript code stub and text stub as the library', () => {
    const config = fs.readFileSync(path.join(__dirname, '..', '..', 'nbgrader_config.py'), 'utf8');
    const stub = /"typescript":\s*"((?:[^"\\]|\\.)*)"/.exec(config)?.[1];
    assert.equal(stub === undefined ? undefined : (JSON.parse(`"${stub}"`) as string), nbgraderFormat.codeStub);
    assert.match(config, new RegExp(`c\\.ClearSolutions\\.text_stub = "${nbgraderFormat.textStub}"`));
    assert.match(config, new RegExp(`begin_solution_delimeter = "${nbgraderFormat.beginSolution}"`));
    assert.match(config, new RegExp(`begin_test_delimeter = "${nbgraderFormat.beginHiddenTests}"`));
  });
});
