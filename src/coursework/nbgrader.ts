/**
 * nbgrader's notebook format (cell metadata schema 3), and what its `generate_assignment` and
 * `autograde` do with it, for notebooks whose kernel is TypeScript: solution regions between
 * `// BEGIN SOLUTION` and `// END SOLUTION`, instructor-only checks between `// BEGIN HIDDEN TESTS`
 * and `// END HIDDEN TESTS`, written answers in Markdown cells marked solution and grade.
 * Written after nbgrader's preprocessors (clearsolutions.py, clearhiddentests.py, lockcells.py,
 * overwritecells.py) and its utils.determine_grade, so that a notebook nbgrader accepts is one
 * this module accepts, and both make the same student version and give the same points.
 */

/** The `nbgrader` entry of a cell's metadata, schema version 3. */
export interface NbgraderMetadata {
  schema_version: number;
  grade: boolean;
  solution: boolean;
  locked: boolean;
  task?: boolean;
  grade_id?: string;
  points?: number;
  checksum?: string;
  cell_type?: 'raw' | 'code' | 'markdown';
}

/** One output of a code cell, as nbformat 4 stores it. */
export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  execution_count?: number | null;
}

/** One cell of an nbformat 4 notebook. */
export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  id?: string;
  metadata: { nbgrader?: NbgraderMetadata; deletable?: boolean; editable?: boolean; [key: string]: unknown };
  source: string | string[];
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

/** An nbformat 4 notebook. */
export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string; display_name?: string }; [key: string]: unknown };
  cells: NotebookCell[];
}

/** The delimiters and stubs of nbgrader's defaults, with the TypeScript code stub this project ships. */
export const nbgraderFormat = {
  beginSolution: 'BEGIN SOLUTION',
  endSolution: 'END SOLUTION',
  beginHiddenTests: 'BEGIN HIDDEN TESTS',
  endHiddenTests: 'END HIDDEN TESTS',
  /** `ClearSolutions.code_stub["typescript"]`, also set in nbgrader_config.py. */
  codeStub: "// YOUR CODE HERE\nthrow new Error('No answer given');",
  /** nbgrader's default `ClearSolutions.text_stub`. */
  textStub: 'YOUR ANSWER HERE',
  schemaVersion: 3,
} as const;

const metadataKeys = new Set(['schema_version', 'grade', 'solution', 'locked', 'task', 'grade_id', 'points', 'checksum', 'cell_type']);

/** A cell's source as one string (nbformat stores it as a string or a list of lines). */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The cell's nbgrader metadata, or undefined for an ordinary cell. */
export function nbgraderOf(cell: NotebookCell): NbgraderMetadata | undefined {
  return cell.metadata?.nbgrader;
}

/** Whether the cell is graded: a check cell (code) or a written answer (Markdown). */
export function isGrade(cell: NotebookCell): boolean {
  return nbgraderOf(cell)?.grade === true;
}

/** Whether the cell holds a solution (replaced by the stub in the student version). */
export function isSolution(cell: NotebookCell): boolean {
  return nbgraderOf(cell)?.solution === true;
}

/** Whether the cell's source is restored from the source notebook when grading (nbgrader's utils.is_locked). */
export function isLocked(cell: NotebookCell): boolean {
  const meta = nbgraderOf(cell);
  if (meta === undefined || meta.solution) return false;
  return meta.grade || meta.locked;
}

/** The cell's grade_id, where it has nbgrader metadata that needs one. */
export function gradeIdOf(cell: NotebookCell): string | undefined {
  const meta = nbgraderOf(cell);
  return meta !== undefined && (meta.grade || meta.solution || meta.locked) ? meta.grade_id : undefined;
}

/**
 * Checks every cell's nbgrader metadata as nbgrader's MetadataValidatorV3 does (schema 3, no extra
 * keys, grade_id present and well formed where needed, points on graded cells, Markdown graded
 * exactly when it is a solution, task cells Markdown) and that grade ids are unique. Throws an
 * error naming the cell.
 */
export function validateNbgraderMetadata(notebook: Notebook): void {
  const ids = new Set<string>();
  notebook.cells.forEach((cell, index) => {
    const meta = nbgraderOf(cell);
    if (meta === undefined) return;
    const where = `cell ${index}${cell.id === undefined ? '' : ` (id ${cell.id})`}`;
    if (meta.schema_version !== nbgraderFormat.schemaVersion) {
      throw new Error(`${where}: nbgrader schema_version must be ${nbgraderFormat.schemaVersion}, got ${String(meta.schema_version)}`);
    }
    for (const key of Object.keys(meta)) if (!metadataKeys.has(key)) throw new Error(`${where}: unknown nbgrader metadata key "${key}"`);
    for (const key of ['grade', 'solution', 'locked'] as const) {
      if (typeof meta[key] !== 'boolean') throw new Error(`${where}: nbgrader.${key} must be true or false, got ${String(meta[key])}`);
    }
    const task = meta.task === true;
    if (meta.grade || meta.solution || meta.locked) {
      if (meta.grade_id === undefined || meta.grade_id === '') throw new Error(`${where}: an nbgrader cell needs a grade_id`);
      if (!/^[a-zA-Z0-9_-]+$/.test(meta.grade_id)) throw new Error(`${where}: grade_id "${meta.grade_id}" may hold only letters, digits, _ and -`);
      if (ids.has(meta.grade_id)) throw new Error(`${where}: duplicate grade_id "${meta.grade_id}"`);
      ids.add(meta.grade_id);
    }
    if (meta.grade && !(typeof meta.points === 'number' && Number.isFinite(meta.points) && meta.points >= 0)) {
      throw new Error(`${where}: graded cell "${meta.grade_id}" needs points (a number of at least 0), got ${String(meta.points)}`);
    }
    if (task) {
      if (cell.cell_type !== 'markdown') throw new Error(`${where}: task cells have to be Markdown`);
    } else if (cell.cell_type === 'markdown' && meta.grade !== meta.solution) {
      throw new Error(`${where}: a Markdown cell that is graded must be a solution cell and the other way round (grade ${meta.grade}, solution ${meta.solution})`);
    }
  });
}

/** A region's lines of one cell, without its delimiter lines. */
interface Region {
  begin: number;
  end: number;
}

function regions(source: string, begin: string, end: string, what: string): Region[] {
  const found: Region[] = [];
  let open: number | undefined;
  source.split('\n').forEach((line, index) => {
    if (line.includes(begin)) {
      if (open !== undefined) throw new Error(`nested "${begin}" at line ${index + 1}`);
      open = index;
    } else if (line.includes(end)) {
      if (open === undefined) throw new Error(`"${end}" without "${begin}" at line ${index + 1}`);
      found.push({ begin: open, end: index });
      open = undefined;
    }
  });
  if (open !== undefined) throw new Error(`no "${end}" after the "${begin}" at line ${open + 1} (${what})`);
  return found;
}

/** The lines between each `BEGIN SOLUTION` and `END SOLUTION` of a source, region by region. */
export function solutionRegions(source: string): string[][] {
  const lines = source.split('\n');
  return regions(source, nbgraderFormat.beginSolution, nbgraderFormat.endSolution, 'solution').map((r) => lines.slice(r.begin + 1, r.end));
}

/** The lines between each `BEGIN HIDDEN TESTS` and `END HIDDEN TESTS` of a source, region by region. */
export function hiddenTestRegions(source: string): string[][] {
  const lines = source.split('\n');
  return regions(source, nbgraderFormat.beginHiddenTests, nbgraderFormat.endHiddenTests, 'hidden tests').map((r) => lines.slice(r.begin + 1, r.end));
}

/**
 * Replaces each solution region (delimiter lines included) by `stub`, indented as the BEGIN line,
 * as nbgrader's ClearSolutions does; returns the new source and whether a region was found.
 */
export function replaceSolutionRegions(source: string, stub: string): { source: string; replaced: boolean } {
  const lines = source.split('\n');
  const found = regions(source, nbgraderFormat.beginSolution, nbgraderFormat.endSolution, 'solution');
  if (found.length === 0) return { source, replaced: false };
  const out: string[] = [];
  let next = 0;
  for (const region of found) {
    out.push(...lines.slice(next, region.begin));
    const indent = /^\s*/.exec(lines[region.begin])?.[0] ?? '';
    out.push(...stub.split('\n').map((line) => indent + line));
    next = region.end + 1;
  }
  out.push(...lines.slice(next));
  return { source: out.join('\n'), replaced: true };
}

/** Removes each hidden-test region (delimiter lines included), as nbgrader's ClearHiddenTests does. */
export function removeHiddenTests(source: string): { source: string; removed: boolean } {
  const lines = source.split('\n');
  const found = regions(source, nbgraderFormat.beginHiddenTests, nbgraderFormat.endHiddenTests, 'hidden tests');
  const drop = new Set(found.flatMap((r) => Array.from({ length: r.end - r.begin + 1 }, (_, i) => r.begin + i)));
  return { source: lines.filter((_, i) => !drop.has(i)).join('\n'), removed: found.length > 0 };
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function kernelLanguage(notebook: Notebook): string {
  return notebook.metadata.kernelspec?.language ?? 'python';
}

/**
 * The student version of an instructor's notebook, as nbgrader's generate_assignment makes it:
 * metadata validated; solution regions (or whole solution cells) replaced by the code or text
 * stub; hidden tests removed; solution, graded and read-only cells made undeletable, and graded
 * and read-only cells uneditable; outputs and prompt numbers cleared. Each cell's metadata records
 * the type it had (`nbgrader.cell_type`), as nbgrader's student versions do.
 */
export function studentVersion(notebook: Notebook, codeStub: string = nbgraderFormat.codeStub, textStub: string = nbgraderFormat.textStub): Notebook {
  if (kernelLanguage(notebook) !== 'typescript') {
    throw new Error(`the notebook's kernel language is "${kernelLanguage(notebook)}"; these stubs are for TypeScript notebooks`);
  }
  validateNbgraderMetadata(notebook);
  const student = copy(notebook);
  student.cells.forEach((cell, index) => {
    const where = `cell ${index}${cell.id === undefined ? '' : ` (id ${cell.id})`}`;
    let source = cellSource(cell);
    try {
      const solution = replaceSolutionRegions(source, cell.cell_type === 'code' ? codeStub : textStub);
      if (solution.replaced && !isSolution(cell)) throw new Error('a solution region in a cell that is not marked as a solution cell');
      const hidden = removeHiddenTests(solution.source);
      if (hidden.removed && !isGrade(cell)) throw new Error('hidden tests in a cell that is not marked as a graded cell');
      source = hidden.source;
      if (isSolution(cell) && !solution.replaced) source = cell.cell_type === 'code' ? codeStub : textStub;
    } catch (error) {
      throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    cell.source = source;
    const meta = nbgraderOf(cell);
    if (meta !== undefined) {
      meta.cell_type = cell.cell_type;
      if (isSolution(cell)) cell.metadata.deletable = false;
      else if (isLocked(cell)) {
        cell.metadata.deletable = false;
        cell.metadata.editable = false;
      }
    }
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  });
  return student;
}

/** What restoring a submission changed, one line each (nbgrader logs the same as warnings). */
export interface Restoration {
  notebook: Notebook;
  changes: string[];
}

/**
 * A submission made ready for grading against its source (the instructor's notebook), as
 * nbgrader's autograde does with OverwriteCells and add_missing_cells: every locked cell (the
 * checks, hidden tests included, and read-only cells) gets the source's text back, matched by
 * grade_id; a graded or solution cell keeps the type, points and flags of the source; a graded
 * cell the student deleted is put back after the cell before it in the source; nbgrader metadata
 * the source does not know is dropped. `changes` names what the student changed (putting hidden
 * tests back into an otherwise unchanged check is not a change).
 */
export function restoreFromSource(submission: Notebook, source: Notebook): Restoration {
  validateNbgraderMetadata(source);
  const sourceCells = new Map<string, NotebookCell>();
  for (const cell of source.cells) {
    const id = gradeIdOf(cell);
    if (id !== undefined) sourceCells.set(id, cell);
  }
  const restored = copy(submission);
  const changes: string[] = [];
  for (const cell of restored.cells) {
    const id = gradeIdOf(cell);
    if (id === undefined) {
      if (cell.metadata?.nbgrader !== undefined) delete cell.metadata.nbgrader;
      continue;
    }
    const original = sourceCells.get(id);
    if (original === undefined) {
      changes.push(`cell "${id}" is not in the source: graded as an ordinary cell`);
      delete cell.metadata.nbgrader;
      continue;
    }
    const want = nbgraderOf(original)!;
    if (cell.cell_type !== original.cell_type) {
      changes.push(`cell "${id}" was turned into ${cell.cell_type}: made ${original.cell_type} again`);
      cell.cell_type = original.cell_type;
      if (cell.cell_type === 'code') {
        cell.outputs = [];
        cell.execution_count = null;
      } else {
        delete cell.outputs;
        delete cell.execution_count;
      }
    }
    const meta = nbgraderOf(cell)!;
    for (const key of ['grade', 'solution', 'locked', 'points'] as const) {
      if (meta[key] !== want[key]) {
        changes.push(`cell "${id}": ${key} was changed to ${String(meta[key])}, restored to ${String(want[key])}`);
      }
    }
    cell.metadata.nbgrader = { ...meta, grade: want.grade, solution: want.solution, locked: want.locked, ...(want.points === undefined ? {} : { points: want.points }) };
    if (want.points === undefined) delete cell.metadata.nbgrader.points;
    if (isLocked(original) && cellSource(cell) !== cellSource(original)) {
      // A student version lacks the hidden tests: putting them back is the normal case, not an edit.
      if (cellSource(cell) !== removeHiddenTests(cellSource(original)).source) {
        changes.push(`cell "${id}" is locked and was edited: graded with the source's text`);
      }
      cell.source = cellSource(original);
    }
  }
  // Graded cells the student deleted go back after the nbgrader cell that precedes them in the source.
  const present = new Set(restored.cells.map(gradeIdOf).filter((id): id is string => id !== undefined));
  let previous: string | undefined;
  for (const cell of source.cells) {
    const id = gradeIdOf(cell);
    if (id === undefined) continue;
    if (isGrade(cell) && !present.has(id)) {
      const after = previous === undefined ? -1 : restored.cells.findIndex((c) => gradeIdOf(c) === previous);
      const added = copy(cell);
      if (added.cell_type === 'code') {
        added.outputs = [];
        added.execution_count = null;
      }
      if (isSolution(added)) added.source = added.cell_type === 'code' ? nbgraderFormat.codeStub : nbgraderFormat.textStub;
      restored.cells.splice(after + 1, 0, added);
      present.add(id);
      changes.push(`graded cell "${id}" was missing: put back from the source`);
    }
    previous = id;
  }
  return { notebook: restored, changes };
}

/** How one executed code cell ended, as the notebook executor records it. */
export type CellRunStatus = 'ok' | 'failed' | 'not run';

/** The points a graded cell earned, as nbgrader's determine_grade gives them; null where a person must grade it. */
export interface CellGrade {
  points: number | null;
  maxPoints: number;
  /** 'passed', the first line of the failure, 'unanswered', or 'to grade by hand'. */
  result: string;
}

function outputText(output: NotebookOutput): string {
  if (output.text !== undefined) return Array.isArray(output.text) ? output.text.join('') : output.text;
  const plain = output.data?.['text/plain'];
  return Array.isArray(plain) ? plain.join('') : typeof plain === 'string' ? plain : '';
}

/**
 * The grade of one graded cell of an executed, restored submission. A written answer gets 0 when
 * it is still the stub, else it is left to a person. A check cell gets 0 when it failed, did not
 * run, or wrote an error or anything to stderr; a number as its result is partial credit (above
 * the cell's points it is an error); otherwise all its points.
 */
export function gradeCell(cell: NotebookCell, status: CellRunStatus, failure: string | null, textStub: string = nbgraderFormat.textStub): CellGrade {
  const meta = nbgraderOf(cell);
  if (meta === undefined || !meta.grade) throw new Error(`cell ${cell.id ?? ''} is not a graded cell`);
  const maxPoints = meta.points ?? 0;
  if (meta.solution || cell.cell_type !== 'code') {
    const answer = cellSource(cell).trim();
    if (answer === '' || answer === textStub.trim()) return { points: 0, maxPoints, result: 'unanswered' };
    return { points: null, maxPoints, result: 'to grade by hand' };
  }
  if (status === 'not run') return { points: 0, maxPoints, result: 'not run: the run ended before this cell' };
  const outputs = cell.outputs ?? [];
  const errorOutput = outputs.find((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'));
  if (status === 'failed' || errorOutput !== undefined) {
    const text = failure ?? (errorOutput === undefined ? '' : errorOutput.output_type === 'error' ? `${errorOutput.ename}: ${errorOutput.evalue}` : outputText(errorOutput));
    const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'failed';
    return { points: 0, maxPoints, result: line };
  }
  const result = outputs.find((o) => o.output_type === 'execute_result');
  if (result !== undefined) {
    const value = Number(outputText(result).trim());
    if (outputText(result).trim() !== '' && Number.isFinite(value) && value >= 0) {
      if (value > maxPoints) return { points: 0, maxPoints, result: `the check gave ${value} points, more than the ${maxPoints} it is worth` };
      return { points: value, maxPoints, result: value === maxPoints ? 'passed' : `partial credit: ${value} of ${maxPoints}` };
    }
  }
  return { points: maxPoints, maxPoints, result: 'passed' };
}
