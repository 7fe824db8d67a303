#!/usr/bin/env node
// Executes notebooks headlessly with the tslab kernel and prints one summary row per notebook.
//   node scripts/run-notebooks.mjs [NAME ...]     (names like 00-environment, or paths to .ipynb files;
//                                                   default: every notebook in notebooks/)
// Environment: REPLEARN_PROFILE (the library's profiles and rule), REPLEARN_CELL_TIMEOUT
// (whole seconds per cell), REPLEARN_OUT (output folder, default build/notebooks). Exit code 1 when
// any notebook failed; 128 + the signal's number when stopped by SIGTERM or SIGINT.
//
// One run at a time writes to an output folder (a lock file holds the runner's PID). Each notebook
// runs in an executor process group of its own; SIGTERM and SIGINT are passed on to it, and the
// executor shuts its kernel down, so a stopped run leaves no process behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jupyterEnv, readJupyterState, root, writeFileAtomic } from './setup.mjs';

/** Default seconds per cell: one entry per profile of the library (`profileNames`, checked in cellTimeout). */
const defaultCellTimeout = { smoke: 300, standard: 3600, full: 14400 };
/** How long a signalled executor gets to shut its kernel down and write its copy before SIGKILL. */
const stopGraceMs = 20_000;

export function listNotebooks(names = []) {
  const dir = path.join(root, 'notebooks');
  const all = fs
    .readdirSync(dir)
    .filter((file) => /^\d\d-.*\.ipynb$/.test(file))
    .sort();
  if (names.length === 0) return all.map((file) => path.join(dir, file));
  return names.map((name) => {
    if (name.endsWith('.ipynb') && fs.existsSync(name) && fs.statSync(name).isFile()) return path.resolve(name);
    const base = path.basename(name).replace(/\.ipynb$/, '');
    const match = all.find((file) => file === `${base}.ipynb`);
    if (!match) throw new Error(`no notebook named "${name}" in notebooks/ (have: ${all.join(', ')}), and no such .ipynb file`);
    return path.join(dir, match);
  });
}

/** A module of the built library (dist/, which the set-up builds), e.g. `built('profile.js')`. */
export async function built(module) {
  const file = path.join(root, 'dist', ...module.split('/'));
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run setup\` first`);
  return import(pathToFileURL(file).href);
}

/** The profile REPLEARN_PROFILE names, by the library's own rule. */
export async function resolveProfile(env = process.env) {
  const { currentProfile } = await built('profile.js');
  return currentProfile(env);
}

/**
 * The backend an executed notebook ran on: the one its backend report names (every notebook
 * prints `formatBackendReport` in its first code cell), read by the library's own rule; 'n/a'
 * when the copy holds no report.
 */
async function reportedBackend(executedCopy) {
  const { chosenBackendInReport } = await built('backend.js');
  const notebook = executedCopy ? readJson(executedCopy) : null;
  for (const cell of notebook?.cells ?? []) {
    for (const output of cell.outputs ?? []) {
      if (output.output_type !== 'stream' || output.name !== 'stdout') continue;
      const backend = chosenBackendInReport(Array.isArray(output.text) ? output.text.join('') : String(output.text ?? ''));
      if (backend !== null) return backend;
    }
  }
  return 'n/a';
}

/** Seconds per cell: REPLEARN_CELL_TIMEOUT, a whole number above 0, or the profile's default. */
export async function cellTimeout(profile, raw = process.env.REPLEARN_CELL_TIMEOUT) {
  if (raw === undefined || raw === '') {
    const { byProfile, profileNames } = await built('profile.js');
    const missing = profileNames.filter((name) => defaultCellTimeout[name] === undefined);
    if (missing.length > 0) throw new Error(`scripts/run-notebooks.mjs has no default cell timeout for the profile ${missing.join(', ')}: add one`);
    return byProfile(defaultCellTimeout, profile);
  }
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) <= 0) {
    throw new Error(`REPLEARN_CELL_TIMEOUT must be a whole number of seconds above 0 (nbclient takes whole seconds), got "${raw}"`);
  }
  return Number(raw);
}

/**
 * Takes the output folder for this run (OUT/.run-lock holding this PID, with the library's lock
 * rules: a lock of a dead process is taken over). Returns the function that releases it.
 */
async function lockOutput(out) {
  const { takeLockFile } = await built('core/lock-file.js');
  const lock = takeLockFile(
    path.join(out, '.run-lock'),
    (pid) => `${out} is in use by another notebook run (PID ${pid}); wait for it to finish, or set REPLEARN_OUT to another folder`,
  );
  return () => lock.release();
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function formatTable(rows) {
  const header = ['notebook', 'status', 'wall time', 'backend', 'profile', 'size'];
  const body = rows.map((r) => [r.notebook, r.status, `${r.seconds.toFixed(1)} s`, r.backend, r.profile, `${(r.bytes / 1e6).toFixed(2)} MB`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has already gone
  }
}

/**
 * Runs the executor for one notebook in a process group of its own. A SIGTERM or SIGINT to this
 * process is passed on to that group; an executor still running `stopGraceMs` later is killed
 * together with its kernel (whose PID it wrote to `kernelPidFile`).
 */
async function execute(command, args, options, kernelPidFile, stop) {
  const { readPidFile } = await built('core/lock-file.js');
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, detached: true });
    let killTimer;
    const forward = (signal) => {
      signalGroup(child.pid, signal);
      killTimer ??= setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        const kernel = readPidFile(kernelPidFile);
        if (kernel !== undefined) signalGroup(kernel, 'SIGKILL');
      }, stopGraceMs);
    };
    stop.forward = forward;
    if (stop.signal !== null) forward(stop.signal);
    child.on('error', (error) => {
      stop.forward = null;
      clearTimeout(killTimer);
      resolve({ status: null, error });
    });
    child.on('exit', (code, signal) => {
      stop.forward = null;
      clearTimeout(killTimer);
      resolve({ status: code, signal, error: null });
    });
  });
}

/**
 * Executes the notebooks; returns the summary rows (also written to OUT/summary.json), each with
 * the status of every code cell. `allowErrors` records a failing cell and runs on (grading);
 * `quiet` prints nothing but a stopped run's message.
 */
export async function runNotebooks({ names = [], outDir, env = process.env, allowErrors = false, quiet = false } = {}) {
  const profile = await resolveProfile(env);
  const timeout = await cellTimeout(profile, env.REPLEARN_CELL_TIMEOUT);
  const notebooks = listNotebooks(names);
  const out = path.resolve(root, outDir ?? env.REPLEARN_OUT ?? path.join('build', 'notebooks'));
  const state = readJupyterState();
  fs.mkdirSync(out, { recursive: true });
  const release = await lockOutput(out);
  const stop = { signal: null, forward: null };
  const onSignal = (signal) => {
    if (stop.signal === null) console.error(`[notebooks] ${signal}: stopping the executor and its kernel`);
    stop.signal ??= signal;
    stop.forward?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const rows = [];
  try {
    for (const notebook of notebooks) {
      if (stop.signal !== null) break;
      const name = path.basename(notebook, '.ipynb');
      const resultFile = path.join(out, `${name}.result.json`);
      const kernelPidFile = path.join(out, `${name}.kernel-pid`);
      for (const file of [resultFile, kernelPidFile]) fs.rmSync(file, { force: true });
      if (!quiet) console.log(`[notebooks] ${name}: executing (profile ${profile}, ${timeout} s per cell)`);
      const started = Date.now();
      const child = await execute(
        state.python,
        [
          path.join(root, 'scripts', 'execute_notebook.py'),
          notebook,
          out,
          resultFile,
          '--timeout',
          String(timeout),
          '--kernel-pid-file',
          kernelPidFile,
          ...(allowErrors ? ['--allow-errors'] : []),
        ],
        { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: jupyterEnv(state, { ...env, REPLEARN_PROFILE: profile }) },
        kernelPidFile,
        stop,
      );
      fs.rmSync(kernelPidFile, { force: true });
      const seconds = (Date.now() - started) / 1000;
      const ended = child.error?.message ?? (child.signal ? `the executor was killed by ${child.signal}` : `the executor exited with ${child.status}`);
      const result = readJson(resultFile) ?? { status: stop.signal === null ? 'failed' : 'terminated', message: `${ended} and wrote no result` };
      const row = {
        notebook: name,
        status: result.status,
        seconds,
        backend: await reportedBackend(result.ipynb),
        profile,
        bytes: result.bytes ?? 0,
        cell: result.cell ?? null,
        message: result.message ?? null,
        html: result.html ?? null,
        ipynb: result.ipynb ?? null,
        cells: result.cells ?? [],
      };
      rows.push(row);
      if (row.status !== 'ok' && !quiet) {
        const where = row.cell ? `cell ${row.cell.index} (id ${row.cell.id})` : 'before any cell ran';
        console.error(`[notebooks] ${name} ${row.status === 'terminated' ? 'STOPPED' : 'FAILED'} at ${where}: ${row.message ?? ''}`);
        if (row.cell) console.error(`[notebooks] the cell begins:\n${row.cell.source.split('\n').slice(0, 8).map((l) => `    ${l}`).join('\n')}`);
      }
    }
    writeFileAtomic(path.join(out, 'summary.json'), JSON.stringify(rows, null, 2));
  } finally {
    release();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  if (!quiet) {
    console.log(`\n${formatTable(rows)}\n`);
    console.log(`[notebooks] executed copies (.ipynb, .html) in ${path.relative(root, out)}/`);
  }
  return { rows, signal: stop.signal };
}

const signalNumbers = { SIGINT: 2, SIGTERM: 15 };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { rows, signal } = await runNotebooks({ names: process.argv.slice(2) });
    if (signal !== null) process.exit(128 + signalNumbers[signal]);
    process.exit(rows.every((row) => row.status === 'ok') ? 0 : 1);
  } catch (error) {
    console.error(`[notebooks] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
