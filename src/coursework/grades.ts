import { cellSource, gradeCell, gradeIdOf, isGrade, type CellRunStatus, type Notebook } from './nbgrader';

/** How one code cell of an executed notebook ended: the executor's record. */
export interface CellRun {
  index: number;
  id?: string | null;
  status: CellRunStatus;
  message: string | null;
}

/** One graded cell in a grade report. */
export interface GradeRow {
  gradeId: string;
  kind: 'check' | 'written';
  /** null: a written answer for a person to grade. */
  points: number | null;
  maxPoints: number;
  result: string;
}

/** The grades of one submission. */
export interface GradeReport {
  submission: string;
  notebook: string;
  rows: GradeRow[];
  /** Points the checks gave, and the most they can give. */
  score: number;
  maxScore: number;
  /** Points of written answers left to a person (unanswered ones are already counted as 0). */
  manualPoints: number;
  /** Whether every code cell ran (failing ones included): false after a timeout or a dead kernel. */
  ranToEnd: boolean;
  /** What restoring the locked cells changed. */
  restored: string[];
}

/**
 * Grades an executed, restored submission: one row per graded cell, in notebook order, from the
 * cell's outputs and how it ran (`runs`, by cell index).
 */
export function gradeExecuted(executed: Notebook, runs: readonly CellRun[], info: { submission: string; notebook: string; restored?: string[] }): GradeReport {
  const byIndex = new Map(runs.map((run) => [run.index, run]));
  const rows: GradeRow[] = [];
  executed.cells.forEach((cell, index) => {
    if (!isGrade(cell)) return;
    const run = byIndex.get(index);
    if (cell.cell_type === 'code' && run === undefined) throw new Error(`no run record for graded cell ${index} ("${gradeIdOf(cell)}")`);
    if (cell.cell_type === 'code' && run !== undefined && run.id != null && cell.id !== undefined && run.id !== cell.id) {
      throw new Error(`the run record of cell ${index} is for cell "${run.id}", not "${cell.id}"`);
    }
    const grade = gradeCell(cell, run?.status ?? 'ok', run?.message ?? null);
    rows.push({ gradeId: gradeIdOf(cell)!, kind: cell.cell_type === 'code' ? 'check' : 'written', ...grade });
  });
  const checks = rows.filter((row) => row.points !== null);
  return {
    submission: info.submission,
    notebook: info.notebook,
    rows,
    score: checks.reduce((sum, row) => sum + (row.points ?? 0), 0),
    maxScore: rows.filter((row) => row.kind === 'check').reduce((sum, row) => sum + row.maxPoints, 0),
    manualPoints: rows.filter((row) => row.points === null).reduce((sum, row) => sum + row.maxPoints, 0),
    ranToEnd: runs.every((run) => run.status !== 'not run'),
    restored: info.restored ?? [],
  };
}

function formatPoints(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function points(value: number): string {
  return `${formatPoints(value)} ${value === 1 ? 'point' : 'points'}`;
}

/** The report as a plain-text table: exercise, points, result; then the totals. */
export function formatGradeTable(report: GradeReport): string {
  const header = ['exercise', 'points', 'result'];
  const body = report.rows.map((row) => [
    `${row.gradeId}${row.kind === 'written' ? ' (written)' : ''}`,
    `${row.points === null ? '?' : formatPoints(row.points)} / ${formatPoints(row.maxPoints)}`,
    row.result,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const lines = [`${report.submission} (${report.notebook})`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const written = report.manualPoints > 0 ? `; written answers worth ${points(report.manualPoints)} to grade by hand` : '';
  const checks = report.rows.filter((r) => r.kind === 'check');
  const passed = checks.filter((r) => r.points === r.maxPoints).length;
  lines.push(`total: ${formatPoints(report.score)} / ${points(report.maxScore)} from checks (${passed} of ${checks.length} passed)${written}`);
  if (!report.ranToEnd) lines.push('the run ended early (a timeout or a dead kernel): the cells after it were not run');
  for (const change of report.restored) lines.push(`restored: ${change}`);
  return lines.join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A feedback page for the student: the totals, then each graded cell with its points, its result
 * and its source (the check as it was run, or the written answer), self-contained HTML.
 */
export function feedbackHtml(report: GradeReport, executed: Notebook): string {
  const sources = new Map(executed.cells.filter(isGrade).map((cell) => [gradeIdOf(cell)!, cellSource(cell)]));
  const rows = report.rows
    .map((row) => {
      const state = row.points === null ? 'manual' : row.points === row.maxPoints ? 'passed' : 'failed';
      return `<section class="${state}"><h2>${escapeHtml(row.gradeId)}${row.kind === 'written' ? ' (written answer)' : ''}: ${row.points === null ? '?' : formatPoints(row.points)} / ${formatPoints(row.maxPoints)}</h2>
<p class="result">${escapeHtml(row.result)}</p>
<pre>${escapeHtml(sources.get(row.gradeId) ?? '')}</pre></section>`;
    })
    .join('\n');
  const written = report.manualPoints > 0 ? ` Written answers worth ${points(report.manualPoints)} are graded by hand.` : '';
  const restored = report.restored.length === 0 ? '' : `<p>Restored before grading: ${report.restored.map(escapeHtml).join('; ')}</p>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: ${escapeHtml(report.notebook)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
section { border-left: 6px solid #999; padding: 0.2rem 1rem; margin: 1rem 0; background: #fafafa; }
section.passed { border-color: #2a7d2a; } section.failed { border-color: #b22; } section.manual { border-color: #c80; }
h2 { font-size: 1.05rem; margin: 0.4rem 0; } pre { background: #f0f0f0; padding: 0.6rem; overflow-x: auto; font-size: 13px; }
.result { font-weight: 600; }
</style></head><body>
<h1>${escapeHtml(report.notebook)}: ${formatPoints(report.score)} / ${points(report.maxScore)} from checks</h1>
<p>Submission: ${escapeHtml(report.submission)}.${written}${report.ranToEnd ? '' : ' The run ended early (a timeout or a dead kernel); the cells after it were not run.'}</p>
${restored}
${rows}
</body></html>
`;
}

