#!/usr/bin/env node
// Grades submissions as nbgrader's autograde does:
//   node scripts/grade.mjs [--out DIR] FILE_OR_FOLDER ...     (npm run grade -- ...)
// Each .ipynb (folders are searched, .ipynb_checkpoints skipped) is matched to its instructor
// notebook in notebooks/ by file name; its locked cells (the checks, hidden tests included) are
// restored from that notebook by grade_id; it is executed headlessly with the tslab kernel, going
// on past a failing cell; then each graded cell is scored. Prints a table per submission and
// writes SUBMISSION.grades.json, the executed copy (.ipynb, .html) and SUBMISSION.feedback.html
// under build/grades/ (or --out), one folder per submission. The profile is REPLEARN_PROFILE,
// else smoke: the checks test the exercises, not how long the models train.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { built, listNotebooks, runNotebooks } from './run-notebooks.mjs';
import { root, writeFileAtomic } from './setup.mjs';

export const gradesDir = path.join(root, 'build', 'grades');
const workRoot = path.join(root, 'build', 'grading');

/** The profile grading runs in: REPLEARN_PROFILE, else smoke (the checks test the exercises, not how long models train). */
const gradingProfile = (env) => env.REPLEARN_PROFILE ?? 'smoke';

/** Every .ipynb named by `args` (files, or folders searched recursively), with the folder it was found under. */
export function findSubmissions(args) {
  const found = [];
  const walk = (dir, base) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '.ipynb_checkpoints') walk(full, base);
      else if (entry.isFile() && entry.name.endsWith('.ipynb')) found.push({ file: full, label: path.relative(base, full) });
    }
  };
  for (const arg of args) {
    const full = path.resolve(arg);
    if (!fs.existsSync(full)) throw new Error(`no such file or folder: ${arg}`);
    if (fs.statSync(full).isDirectory()) walk(full, path.dirname(full));
    else if (full.endsWith('.ipynb')) found.push({ file: full, label: path.basename(full) });
    else throw new Error(`${arg} is not a notebook (.ipynb) or a folder`);
  }
  if (found.length === 0) throw new Error(`no notebooks (.ipynb) in ${args.join(', ')}`);
  return found;
}

/** The instructor notebook a submission answers: the one in notebooks/ with its file name. */
function sourceFor(file) {
  const [source] = listNotebooks([path.basename(file)]);
  return source;
}

/**
 * Grades one submission: restores, executes (into `outDir`) and scores it. Returns the grade
 * report, also written as JSON next to the feedback page.
 */
export async function gradeSubmission(file, { label = path.basename(file), outDir, env = process.env } = {}) {
  const { restoreFromSource } = await built('coursework/nbgrader.js');
  const { gradeExecuted, feedbackHtml } = await built('coursework/grades.js');
  const source = sourceFor(file);
  const name = path.basename(source, '.ipynb');
  let submission;
  try {
    submission = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${label} is not a readable notebook: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { notebook: restored, changes } = restoreFromSource(submission, JSON.parse(fs.readFileSync(source, 'utf8')));
  fs.mkdirSync(outDir, { recursive: true });
  // The restored copy runs from a folder inside the project, where `replearn` resolves (tslab
  // resolves imports from the notebook's folder), wherever the output goes.
  fs.mkdirSync(workRoot, { recursive: true });
  const work = fs.mkdtempSync(path.join(workRoot, 'restored-'));
  const restoredFile = path.join(work, `${name}.ipynb`);
  try {
    fs.writeFileSync(restoredFile, JSON.stringify(restored));
    const profile = gradingProfile(env);
    const { rows, signal } = await runNotebooks({ names: [restoredFile], outDir, env: { ...env, REPLEARN_PROFILE: profile }, allowErrors: true, quiet: true });
    if (signal !== null) throw Object.assign(new Error(`stopped by ${signal}`), { signal });
    const [row] = rows;
    if (row.ipynb === null || !fs.existsSync(row.ipynb)) throw new Error(`${label}: the executor wrote no executed copy (${row.message ?? row.status})`);
    const executed = JSON.parse(fs.readFileSync(row.ipynb, 'utf8'));
    const report = { ...gradeExecuted(executed, row.cells, { submission: label, notebook: name, restored: changes }), profile, backend: row.backend, seconds: row.seconds };
    writeFileAtomic(path.join(outDir, `${name}.grades.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileAtomic(path.join(outDir, `${name}.feedback.html`), feedbackHtml(report, executed));
    return report;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Grades each submission into OUT/<its path under the folder given, without .ipynb>/. */
export async function gradeAll(args, { out = gradesDir, env = process.env, log = console.log } = {}) {
  const { formatGradeTable } = await built('coursework/grades.js');
  const reports = [];
  for (const { file, label } of findSubmissions(args)) {
    const outDir = path.join(out, label.replace(/\.ipynb$/, ''));
    log(`[grade] ${label}: executing (profile ${gradingProfile(env)})`);
    const report = await gradeSubmission(file, { label, outDir, env });
    log(`\n${formatGradeTable(report)}\n[grade] feedback: ${path.relative(process.cwd(), path.join(outDir, `${report.notebook}.feedback.html`))}\n`);
    reports.push(report);
  }
  return reports;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const args = process.argv.slice(2);
    let out = gradesDir;
    const outAt = args.indexOf('--out');
    if (outAt >= 0) {
      if (args[outAt + 1] === undefined) throw new Error('--out needs a folder');
      out = path.resolve(args[outAt + 1]);
      args.splice(outAt, 2);
    }
    const unknown = args.filter((arg) => arg.startsWith('--'));
    if (unknown.length > 0 || args.length === 0) {
      throw new Error(`usage: npm run grade -- [--out DIR] FILE_OR_FOLDER ...${unknown.length > 0 ? ` (unknown option ${unknown.join(', ')})` : ''}`);
    }
    const reports = await gradeAll(args, { out });
    if (reports.length > 1) {
      console.log('[grade] summary');
      for (const r of reports) console.log(`  ${r.submission.padEnd(40)} ${r.score} / ${r.maxScore}${r.manualPoints > 0 ? ` (+ ${r.manualPoints} by hand)` : ''}`);
    }
  } catch (error) {
    console.error(`[grade] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error?.signal === 'SIGINT' ? 130 : error?.signal === 'SIGTERM' ? 143 : 1);
  }
}

