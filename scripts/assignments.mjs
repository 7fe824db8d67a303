#!/usr/bin/env node
// Makes the coursework from the notebooks (the instructor versions, with solutions):
//   node scripts/assignments.mjs [--no-execute] [NAME ...]     (npm run assignments)
// writes student versions to build/assignments/student/ (solutions replaced by the stub, hidden
// tests removed, outputs cleared, graded and read-only cells locked), as nbgrader's
// generate_assignment does, and executed instructor versions to build/assignments/solutions/
// (profile from REPLEARN_PROFILE, as for `npm run notebooks`; --no-execute skips them).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { built, listNotebooks, runNotebooks } from './run-notebooks.mjs';
import { root, writeFileAtomic } from './setup.mjs';

export const assignmentsDir = path.join(root, 'build', 'assignments');

/** What a notebook asks of a student: its check cells, their points, its written answers. */
export async function describeCoursework(notebook) {
  const { isGrade, isSolution, nbgraderOf } = await built('coursework/nbgrader.js');
  const graded = notebook.cells.filter(isGrade);
  const checks = graded.filter((cell) => cell.cell_type === 'code');
  const written = graded.filter((cell) => cell.cell_type !== 'code');
  return {
    solutions: notebook.cells.filter((cell) => isSolution(cell) && cell.cell_type === 'code').length,
    checks: checks.length,
    checkPoints: checks.reduce((sum, cell) => sum + nbgraderOf(cell).points, 0),
    written: written.length,
    writtenPoints: written.reduce((sum, cell) => sum + nbgraderOf(cell).points, 0),
  };
}

/** Writes the student version of each notebook to `outDir`; returns [{ name, file, ...coursework }]. */
export async function writeStudentVersions(notebooks, outDir = path.join(assignmentsDir, 'student')) {
  const { studentVersion } = await built('coursework/nbgrader.js');
  fs.mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const file of notebooks) {
    const name = path.basename(file);
    const instructor = JSON.parse(fs.readFileSync(file, 'utf8'));
    let student;
    try {
      student = studentVersion(instructor);
    } catch (error) {
      throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const target = path.join(outDir, name);
    writeFileAtomic(target, `${JSON.stringify(student, null, 1)}\n`);
    written.push({ name, file: target, ...(await describeCoursework(instructor)) });
  }
  return written;
}

const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const args = process.argv.slice(2);
    const execute = !args.includes('--no-execute');
    const unknown = args.filter((arg) => arg.startsWith('--') && arg !== '--no-execute');
    if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(', ')} (usage: npm run assignments -- [--no-execute] [NAME ...])`);
    const names = args.filter((arg) => !arg.startsWith('--'));
    const notebooks = listNotebooks(names);
    const student = await writeStudentVersions(notebooks);
    for (const s of student) {
      console.log(
        `[assignments] ${s.name}: ${count(s.solutions, 'exercise')}, ${count(s.checks, 'check')} worth ${count(s.checkPoints, 'point')}, ${count(s.written, 'written answer')} worth ${count(s.writtenPoints, 'point')}`,
      );
    }
    console.log(`[assignments] student versions in ${path.relative(root, path.join(assignmentsDir, 'student'))}/`);
    if (execute) {
      const { rows, signal } = await runNotebooks({ names: notebooks, outDir: path.join(assignmentsDir, 'solutions') });
      if (signal !== null) process.exit(signal === 'SIGINT' ? 130 : 143);
      if (!rows.every((row) => row.status === 'ok')) process.exit(1);
    }
  } catch (error) {
    console.error(`[assignments] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
