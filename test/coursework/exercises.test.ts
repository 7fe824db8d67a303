// Every exercise's check, run in a tslab kernel after the notebook's set-up cell: it passes for the
// reference solution and fails for the stub and for the plausible wrong answer of wrong-answers.ts.
// One short notebook per coursework notebook: set-up, then for each exercise the wrong answer, the
// stub and the reference, each followed by the check. This also proves that each exercise needs
// nothing from the notebook but its set-up cell.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cellSource, type Notebook, type NotebookCell } from '../../src/coursework/nbgrader';
import { courseworkNotebooks, exercises, notebooksDir, readNotebook, root, runNotebooks, setupCell, stubAnswer, withAnswer } from '../support/coursework';
import { wrongAnswers } from './wrong-answers';

const out = path.join(root, 'build', 'test-exercises');

describe('each exercise check tells the reference solution from the stub and a wrong answer', () => {
  for (const name of courseworkNotebooks()) {
    it(name, async () => {
      const instructor = readNotebook(path.join(notebooksDir, `${name}.ipynb`));
      const cells: NotebookCell[] = [{ ...setupCell(instructor), id: 'setup' }];
      const expected: { id: string; status: 'ok' | 'failed' }[] = [{ id: 'setup', status: 'ok' }];
      for (const exercise of exercises(instructor)) {
        const id = exercise.solution.id!;
        const wrong = wrongAnswers[name]?.[id];
        assert.ok(wrong !== undefined, `test/coursework/wrong-answers.ts has no wrong answer for ${name} ${id}`);
        for (const [variant, solution, verdict] of [
          ['wrong', withAnswer(exercise.solution, wrong), 'failed'],
          ['stub', withAnswer(exercise.solution, stubAnswer), 'failed'],
          ['reference', exercise.solution, 'ok'],
        ] as const) {
          cells.push({ ...solution, id: `${id}-${variant}`, metadata: {} }, { ...exercise.check, id: `${id}-${variant}-check`, metadata: {}, source: cellSource(exercise.check) });
          expected.push({ id: `${id}-${variant}`, status: 'ok' }, { id: `${id}-${variant}-check`, status: verdict });
        }
      }
      const notebook: Notebook = { ...instructor, cells };
      const dir = path.join(out, name);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${name}-exercises.ipynb`);
      fs.writeFileSync(file, JSON.stringify(notebook));
      const { rows } = await runNotebooks({ names: [file], outDir: path.join(dir, 'executed'), allowErrors: true });
      const runs = rows[0].cells;
      assert.deepEqual(
        runs.map((run) => ({ id: run.id, status: run.status })),
        expected,
        runs.filter((run) => run.status !== 'ok').map((run) => `${run.id}: ${run.message}`).join('\n'),
      );
      // The wrong answers fail the check itself, not by a type error or a crash of the solution cell.
      for (const run of runs.filter((r) => r.id?.endsWith('-wrong-check'))) assert.match(run.message ?? '', /check failed/, `${run.id}: ${run.message}`);
    });
  }
});
