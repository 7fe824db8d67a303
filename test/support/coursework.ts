import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cellSource, gradeIdOf, hiddenTestRegions, isGrade, isSolution, nbgraderFormat, replaceSolutionRegions, solutionRegions, type Notebook, type NotebookCell } from '../../src/coursework/nbgrader';
import type { CellRun } from '../../src/coursework/grades';
import { readNotebook } from './markdown-math';

export const root = path.join(__dirname, '..', '..');
export const notebooksDir = path.join(root, 'notebooks');

export { readNotebook };

/** Notebooks in notebooks/ that carry coursework (nbgrader cells), by name without .ipynb. */
export function courseworkNotebooks(): string[] {
  return fs
    .readdirSync(notebooksDir)
    .filter((file) => file.endsWith('.ipynb'))
    .sort()
    .map((file) => file.replace(/\.ipynb$/, ''))
    .filter((name) => readNotebook(path.join(notebooksDir, `${name}.ipynb`)).cells.some((cell) => cell.metadata.nbgrader !== undefined));
}

/** One exercise: its code solution cell and the check cell after it (`ID-check`). */
export interface Exercise {
  solution: NotebookCell;
  check: NotebookCell;
  points: number;
}

export function exercises(notebook: Notebook): Exercise[] {
  return notebook.cells
    .filter((cell) => isSolution(cell) && cell.cell_type === 'code')
    .map((solution) => {
      const check = notebook.cells.find((cell) => gradeIdOf(cell) === `${gradeIdOf(solution)}-check`);
      if (check === undefined) throw new Error(`exercise ${gradeIdOf(solution)} has no check cell ${gradeIdOf(solution)}-check`);
      return { solution, check, points: check.metadata.nbgrader?.points ?? 0 };
    });
}

/** The solution cell with its solution region replaced by `body`. */
export function withAnswer(cell: NotebookCell, body: string): NotebookCell {
  return { ...cell, source: replaceSolutionRegions(cellSource(cell), body).source };
}

export const stubAnswer = nbgraderFormat.codeStub;

/** A notebook's first code cell (the set-up every exercise may use). */
export function setupCell(notebook: Notebook): NotebookCell {
  const cell = notebook.cells.find((c) => c.cell_type === 'code');
  if (cell === undefined) throw new Error('no code cell');
  return cell;
}

/** The executed copy's per-cell record, as the runner writes it in summary.json. */
export interface RunRow {
  notebook: string;
  status: string;
  message: string | null;
  ipynb: string | null;
  cells: CellRun[];
}

/** runNotebooks of scripts/run-notebooks.mjs (smoke profile), loaded at run time. */
export async function runNotebooks(options: { names: string[]; outDir: string; allowErrors?: boolean }): Promise<{ rows: RunRow[] }> {
  const module = (await import(pathToFileURL(path.join(root, 'scripts', 'run-notebooks.mjs')).href)) as {
    runNotebooks(o: object): Promise<{ rows: RunRow[] }>;
  };
  return module.runNotebooks({ ...options, quiet: true, env: { ...process.env, REPLEARN_PROFILE: 'smoke' } });
}

/**
 * Every line of the text a student must not see: solution regions, hidden tests, model answers;
 * except lines that the notebook also shows outside them (a `let sum = 0;` in a worked cell).
 */
export function secretLines(notebook: Notebook): string[] {
  const lines = notebook.cells.flatMap((cell) => {
    const source = cellSource(cell);
    const answer = isSolution(cell) && isGrade(cell) && cell.cell_type === 'markdown' ? source.split('\n') : [];
    return [...solutionRegions(source).flat(), ...hiddenTestRegions(source).flat(), ...answer];
  });
  const occurrences = (all: string[]) => all.reduce((counts, line) => counts.set(line, (counts.get(line) ?? 0) + 1), new Map<string, number>());
  const inSecrets = occurrences(lines.map((line) => line.trim()));
  const inNotebook = occurrences(notebook.cells.flatMap((cell) => cellSource(cell).split('\n').map((line) => line.trim())));
  return [...inSecrets.keys()].filter((line) => /[A-Za-z0-9]/.test(line) && line.length >= 8 && inNotebook.get(line) === inSecrets.get(line));
}
