#!/usr/bin/env node
// Executes notebooks headlessly with the tslab kernel and prints one summary row per notebook.
//   node scripts/run-notebooks.mjs [NAME ...]     (names like 00-environment; default: all)
// Environment: REPLEARN_PROFILE (smoke|standard|full), REPLEARN_CELL_TIMEOUT (seconds per cell),
// REPLEARN_OUT (output folder, default build/notebooks). Exit code 1 when any notebook failed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jupyterEnv, readJupyterState, root } from './setup.mjs';

export const profiles = ['smoke', 'standard', 'full'];
const defaultCellTimeout = { smoke: 300, standard: 3600, full: 14400 };

export function listNotebooks(names = []) {
  const dir = path.join(root, 'notebooks');
  const all = fs
    .readdirSync(dir)
    .filter((file) => /^\d\d-.*\.ipynb$/.test(file))
    .sort();
  if (names.length === 0) return all.map((file) => path.join(dir, file));
  return names.map((name) => {
    const base = path.basename(name).replace(/\.ipynb$/, '');
    const match = all.find((file) => file === `${base}.ipynb`);
    if (!match) throw new Error(`no notebook named "${name}" in notebooks/ (have: ${all.join(', ')})`);
    return path.join(dir, match);
  });
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

/** Executes the notebooks; returns the summary rows (also written to OUT/summary.json). */
export function runNotebooks({ names = [], profile = process.env.REPLEARN_PROFILE ?? 'standard', outDir } = {}) {
  if (!profiles.includes(profile)) throw new Error(`REPLEARN_PROFILE must be one of ${profiles.join('|')}, got "${profile}"`);
  const out = path.resolve(root, outDir ?? process.env.REPLEARN_OUT ?? path.join('build', 'notebooks'));
  const timeout = Number(process.env.REPLEARN_CELL_TIMEOUT ?? defaultCellTimeout[profile]);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`REPLEARN_CELL_TIMEOUT must be a positive number of seconds, got "${process.env.REPLEARN_CELL_TIMEOUT}"`);
  const state = readJupyterState();
  fs.mkdirSync(out, { recursive: true });
  const rows = [];
  for (const notebook of listNotebooks(names)) {
    const name = path.basename(notebook, '.ipynb');
    const resultFile = path.join(out, `${name}.result.json`);
    const runInfoFile = path.join(out, `${name}.run.json`);
    fs.rmSync(resultFile, { force: true });
    fs.rmSync(runInfoFile, { force: true });
    console.log(`[notebooks] ${name}: executing (profile ${profile}, ${timeout} s per cell)`);
    const started = Date.now();
    const child = spawnSync(
      state.python,
      [path.join(root, 'scripts', 'execute_notebook.py'), notebook, out, resultFile, '--timeout', String(timeout)],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: jupyterEnv(state, { REPLEARN_PROFILE: profile, REPLEARN_RUN_INFO: runInfoFile }) },
    );
    const seconds = (Date.now() - started) / 1000;
    const result = readJson(resultFile) ?? { status: 'failed', message: child.error?.message ?? `the executor exited with ${child.status} and wrote no result` };
    const runInfo = readJson(runInfoFile);
    const row = {
      notebook: name,
      status: result.status,
      seconds,
      backend: runInfo?.backend ?? 'n/a',
      profile,
      bytes: result.bytes ?? 0,
      cell: result.cell ?? null,
      message: result.message ?? null,
      html: result.html ?? null,
    };
    rows.push(row);
    if (row.status !== 'ok') {
      const where = row.cell ? `cell ${row.cell.index} (id ${row.cell.id})` : 'before any cell ran';
      console.error(`[notebooks] ${name} FAILED at ${where}: ${row.message ?? ''}`);
      if (row.cell) console.error(`[notebooks] the cell begins:\n${row.cell.source.split('\n').slice(0, 8).map((l) => `    ${l}`).join('\n')}`);
    }
  }
  fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(rows, null, 2));
  console.log(`\n${formatTable(rows)}\n`);
  console.log(`[notebooks] executed copies (.ipynb, .html) in ${path.relative(root, out)}/`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const rows = runNotebooks({ names: process.argv.slice(2) });
    process.exit(rows.every((row) => row.status === 'ok') ? 0 : 1);
  } catch (error) {
    console.error(`[notebooks] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
