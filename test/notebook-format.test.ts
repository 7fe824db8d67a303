import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formulas, readNotebook, text as cellText } from './support/markdown-math';
import { gradeIdOf, hiddenTestRegions, isGrade, isLocked, solutionRegions, studentVersion, validateNbgraderMetadata } from '../src/coursework/nbgrader';
import { courseworkNotebooks, exercises, readNotebook as readCourseworkNotebook, secretLines } from './support/coursework';

const dir = path.join(__dirname, '..', 'notebooks');
const notebooks = fs.readdirSync(dir).filter((file) => file.endsWith('.ipynb')).sort();

interface Cell {
  cell_type: string;
  id?: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string } };
  cells: Cell[];
}

const text = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);

describe('notebook format', () => {
  it('notebooks/ holds numbered notebooks, 00-environment first', () => {
    assert.ok(notebooks.length > 0);
    assert.equal(notebooks[0], '00-environment.ipynb');
    for (const file of notebooks) assert.match(file, /^\d\d-[a-z0-9-]+\.ipynb$/, `${file} is not named NN-topic.ipynb`);
  });

  for (const file of notebooks) {
    describe(file, () => {
      const nb = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Notebook;
      const codeCells = nb.cells.filter((cell) => cell.cell_type === 'code');

      it('is nbformat 4.5 with the tslab kernel', () => {
        assert.equal(nb.nbformat, 4);
        assert.ok(nb.nbformat_minor >= 5, `nbformat_minor is ${nb.nbformat_minor}, cell ids need 4.5`);
        assert.equal(nb.metadata.kernelspec?.name, 'tslab');
        assert.equal(nb.metadata.kernelspec?.language, 'typescript');
      });

      it('has unique, valid cell ids', () => {
        const ids = nb.cells.map((cell) => cell.id);
        for (const id of ids) assert.match(id ?? '', /^[a-zA-Z0-9-_]{1,64}$/, `cell id ${String(id)}`);
        assert.equal(new Set(ids).size, ids.length, 'duplicate cell ids');
      });

      it('is stored without outputs', () => {
        for (const cell of codeCells) {
          assert.deepEqual(cell.outputs, [], `cell ${cell.id} has outputs`);
          assert.equal(cell.execution_count, null, `cell ${cell.id} has an execution count`);
        }
      });

      it('opens with prose saying what it teaches and assumes', () => {
        assert.equal(nb.cells[0].cell_type, 'markdown');
        assert.match(text(nb.cells[0]), /teaches/i);
        assert.match(text(nb.cells[0]), /assumes/i);
      });

      it('reports the backend in its first code cell', () => {
        assert.match(text(codeCells[0]), /initBackend\(/);
        assert.match(text(codeCells[0]), /formatBackendReport\(/);
      });

      it('imports only the public replearn package (and Node built-ins)', () => {
        for (const cell of codeCells) {
          for (const match of text(cell).matchAll(/from\s+['"]([^'"]+)['"]/g)) {
            assert.ok(match[1] === 'replearn' || match[1].startsWith('node:'), `cell ${cell.id} imports ${match[1]}`);
          }
        }
      });
    });
  }
});

describe('the formulas in the notebooks\' prose', () => {
  // KaTeX has no bundled types; this is the one call the check needs.
  const katex = require('katex') as { renderToString(tex: string, options: { displayMode: boolean; throwOnError: boolean; strict: 'error' }): string };
  
  it('every $...$ and $$...$$ of a markdown cell is closed and renders with the KaTeX the HTML export ships (strict mode)', () => {
    const problems: string[] = [];
    let count = 0;
    for (const file of notebooks) {
      for (const cell of readNotebook(path.join(dir, file)).cells.filter((c) => c.cell_type === 'markdown')) {
        const { found, prose } = formulas(cellText(cell.source));
        if (prose.includes('$')) problems.push(`${file}: a $ that opens no formula, near "${prose.slice(Math.max(0, prose.indexOf('$') - 40), prose.indexOf('$') + 40)}"`);
        for (const formula of found) {
          count += 1;
          try {
            katex.renderToString(formula.tex, { displayMode: formula.display, throwOnError: true, strict: 'error' });
          } catch (error) {
            problems.push(`${file}: ${formula.tex}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(count > 0, 'the notebooks have formulas');
  });
});

describe('coursework in nbgrader\'s format', () => {
  const names = courseworkNotebooks();
  it('notebooks 01 to 10 carry coursework', () => {
    for (const name of ['01-representation-learning', '02-autoencoders', '03-training-process', '04-autoencoder-variants', '05-convolutional-autoencoders', '06-variational-autoencoders', '07-vq-vae', '08-latent-spaces', '09-downstream', '10-synthetic-augmentation']) assert.ok(names.includes(name), `${name} has no nbgrader cells`);
  });

  for (const name of names) {
    describe(name, () => {
      const nb = readCourseworkNotebook(path.join(dir, `${name}.ipynb`));
      const all = exercises(nb);
      const written = nb.cells.filter((cell) => isGrade(cell) && cell.cell_type === 'markdown');

      it('validates as nbgrader schema 3, each grade_id the cell id', () => {
        validateNbgraderMetadata(nb);
        for (const cell of nb.cells.filter((c) => c.metadata.nbgrader !== undefined)) assert.equal(gradeIdOf(cell), cell.id);
      });

      it('opens with learning objectives, the coursework it holds and its time per profile', () => {
        const intro = text(nb.cells[0] as Cell);
        assert.match(intro, /\*\*Learning objectives\.\*\*[\s\S]*lecture: \*/);
        assert.match(intro, /\*\*Time\.\*\* About [\d.]+ (s|minutes?) in the `smoke` profile and [\d.]+ (s|minutes?) in `standard`/);
        const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'];
        const claim = /(\w+) exercises with autograded checks \((\d+) points\) and (\w+) written answers? \((\d+) points?\)/i.exec(intro);
        assert.ok(claim, 'the intro says how many exercises, checks and written answers, and their points');
        const checkPoints = all.reduce((sum, e) => sum + e.points, 0);
        const writtenPoints = written.reduce((sum, cell) => sum + (cell.metadata.nbgrader?.points ?? 0), 0);
        assert.deepEqual([words.indexOf(claim[1].toLowerCase()), Number(claim[2]), words.indexOf(claim[3].toLowerCase()), Number(claim[4])], [all.length, checkPoints, written.length, writtenPoints]);
      });

      it('has 3-6 exercises: a read-only statement, a solution cell with a solution region, then its locked check worth points', () => {
        assert.ok(all.length >= 3 && all.length <= 6, `${all.length} exercises`);
        for (const { solution, check, points } of all) {
          const at = nb.cells.indexOf(solution);
          assert.equal(nb.cells[at - 1].id, `${solution.id}-md`, `${solution.id} follows its statement`);
          assert.equal(nb.cells[at - 1].metadata.nbgrader?.locked, true, `${solution.id}-md is read-only`);
          assert.equal(nb.cells[at + 1], check, `${solution.id}-check follows ${solution.id}`);
          assert.equal(solutionRegions(text(solution as Cell)).length, 1, `${solution.id} has one solution region`);
          assert.ok(points > 0 && isLocked(check));
          assert.match(text(check as Cell), /check(Close)?\(/);
          assert.equal(hiddenTestRegions(text(check as Cell)).length, 1, `${check.id} has hidden tests`);
        }
      });

      it('asks at least one predict-then-run question with a model answer', () => {
        assert.ok(written.length >= 1);
        for (const cell of written) {
          const at = nb.cells.indexOf(cell);
          assert.match(text(nb.cells[at - 1] as Cell), /predict/i, `${cell.id}: the question before it asks for a prediction`);
          assert.ok(text(cell as Cell).length > 100, `${cell.id} holds a model answer`);
        }
      });

      it('its student version holds none of the solutions, hidden tests or model answers', () => {
        const student = JSON.stringify(studentVersion(nb));
        const secrets = secretLines(nb);
        assert.ok(secrets.length > 10);
        for (const line of secrets) assert.ok(!student.includes(JSON.stringify(line).slice(1, -1)), `the student version contains "${line}"`);
      });
    });
  }
});
