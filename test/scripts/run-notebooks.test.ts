// scripts/run-notebooks.mjs and scripts/execute_notebook.py under faults: a signal stops the run
// without leaving a process behind, errors that escape a cell fail the notebook at the cell that
// started them, one run at a time writes to an output folder, and bad settings are refused up front.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const root = path.join(__dirname, '..', '..');
const runner = path.join(root, 'scripts', 'run-notebooks.mjs');

/** Writes a tslab notebook of code cells to dir/name.ipynb; returns its path. */
function writeNotebook(dir: string, name: string, cells: string[]): string {
  const file = path.join(dir, `${name}.ipynb`);
  const notebook = {
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(notebook));
  return file;
}

function runSync(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [runner, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 5 * 60 * 1000 });
}

/** PIDs of live processes whose environment holds `marker` (every process a run started inherits it). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
        if (!/\) Z /.test(stat)) found.push(Number(entry)); // a zombie has already ended
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

interface Row {
  notebook: string;
  status: string;
  backend: string;
  profile: string;
  cell: { index: number; id: string } | null;
  message: string | null;
}

describe('scripts/run-notebooks.mjs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-runner-'));

  it('passes SIGTERM on to the executor, which shuts its kernel down: no process of the run is left', { skip: process.platform !== 'linux' }, async () => {
    const notebook = writeNotebook(dir, 'loop', ['console.log("started");', 'while (true) {}']);
    const out = path.join(dir, 'out-loop');
    const marker = `REPLEARN_TEST_RUN=${randomUUID()}`;
    const [key, value] = marker.split('=');
    const child = spawn(process.execPath, [runner, notebook], { cwd: root, env: { ...process.env, REPLEARN_PROFILE: 'smoke', REPLEARN_OUT: out, [key]: value }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The kernel's PID file appears once it runs; the loop starts a moment after the first cell.
      assert.ok(await waitFor(() => fs.existsSync(path.join(out, 'loop.kernel-pid')), 60_000), `the kernel never started:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.ok(processesWith(marker).length >= 3, 'the runner, the executor and the kernel are running');
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000))]);
      assert.equal(code, 143, `the runner exits with 128 + 15:\n${output}`);
      assert.ok(await waitFor(() => processesWith(marker).length === 0, 10_000), `left running: ${processesWith(marker).join(', ')}`);
      const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as Row[];
      assert.equal(summary[0].status, 'terminated');
      assert.equal(summary[0].cell?.index, 1, 'the interrupted cell is named');
      assert.ok(fs.existsSync(path.join(out, 'loop.ipynb')), 'the executed copy up to the interrupted cell is kept');
      assert.ok(!fs.existsSync(path.join(out, '.run-lock')), 'the output folder is released');
    } finally {
      for (const pid of processesWith(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  it('fails a notebook on an unhandled rejection or a throwing timer, naming the cell that started it; accepts SMOKE; takes over a stale lock; reports the backend a notebook printed', () => {
    const rejects = writeNotebook(dir, 'rejects', [
      'async function train(): Promise<void> { await new Promise((r) => setTimeout(r, 20)); throw new Error("the loss is NaN"); }',
      'train(); // the missing await',
      'await new Promise((r) => setTimeout(r, 200));',
      'console.log("later");',
    ]);
    const throwsLate = writeNotebook(dir, 'timer', ['const n = 1;', 'setTimeout(() => { throw new Error("late failure"); }, 10);', 'await new Promise((r) => setTimeout(r, 200));']);
    const pendingAtEnd = writeNotebook(dir, 'pending', ['const m = 2;', 'Promise.reject(new Error("rejected after the last cell"));']);
    const fine = writeNotebook(dir, 'fine', ['const a = 2;', '', 'a * 21', 'await Promise.resolve(1); console.log("done", a);']);
    // The first cell of every notebook prints the library's backend report; the summary takes the backend from it.
    const reports = writeNotebook(dir, 'reports', [
      `const { initBackend, formatBackendReport } = require(${JSON.stringify(path.join(root, 'dist', 'backend.js'))});`,
      'console.log("loaded");',
      "console.log(formatBackendReport(await initBackend({ backend: 'cpu' })));",
    ]);
    const out = path.join(dir, 'out-errors');
    fs.mkdirSync(out, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a PID that has exited
    fs.writeFileSync(path.join(out, '.run-lock'), String(dead));
    const run = runSync([rejects, throwsLate, pendingAtEnd, fine, reports], { REPLEARN_PROFILE: 'SMOKE', REPLEARN_OUT: out });
    const log = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 1, log);
    const rows = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as Row[];
    const byName = Object.fromEntries(rows.map((row) => [row.notebook, row]));
    assert.equal(byName.rejects.status, 'failed');
    assert.equal(byName.rejects.cell?.index, 1, 'the cell that started the promise');
    assert.match(byName.rejects.message ?? '', /unhandled promise rejection started by this cell: Error: the loss is NaN/);
    assert.equal(byName.timer.status, 'failed');
    assert.equal(byName.timer.cell?.index, 1);
    assert.match(byName.timer.message ?? '', /uncaught exception started by this cell: Error: late failure/);
    assert.equal(byName.pending.status, 'failed');
    assert.equal(byName.pending.cell?.index, 1);
    assert.equal(byName.fine.status, 'ok', log);
    assert.equal(byName.reports.status, 'ok', log);
    assert.equal(byName.reports.backend, 'cpu', 'the backend its report names');
    assert.equal(byName.fine.backend, 'n/a', 'no report, no backend');
    assert.ok(rows.every((row) => row.profile === 'smoke'), 'REPLEARN_PROFILE=SMOKE means smoke, as in the library');
    // The hidden requests leave no trace in the executed copy: cells numbered 1, 2, 3 and the outputs are the cells' own.
    const executed = JSON.parse(fs.readFileSync(path.join(out, 'fine.ipynb'), 'utf8')) as { cells: { execution_count: number | null; outputs: unknown[] }[] };
    assert.deepEqual(executed.cells.map((cell) => cell.execution_count), [1, null, 2, 3]);
    assert.ok(!JSON.stringify(executed).includes('replearn-watch'), 'no watcher output in the copy');
    assert.match(JSON.stringify(executed.cells[3].outputs), /done 2/);
    assert.ok(!fs.existsSync(path.join(out, '.run-lock')), 'the lock is released');
  });

  it('refuses a folder another live run holds, naming its PID', () => {
    const out = path.join(dir, 'out-locked');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, '.run-lock'), String(process.pid));
    const run = runSync([writeNotebook(dir, 'never', ['1'])], { REPLEARN_PROFILE: 'smoke', REPLEARN_OUT: out });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`in use by another notebook run \\(PID ${process.pid}\\).*REPLEARN_OUT`));
    assert.ok(!fs.existsSync(path.join(out, 'never.ipynb')), 'nothing was written');
    assert.equal(fs.readFileSync(path.join(out, '.run-lock'), 'utf8'), String(process.pid), 'the other run keeps its lock');
  });

  it('refuses a fractional REPLEARN_CELL_TIMEOUT before starting anything, with the reason', () => {
    const run = runSync(['00-environment'], { REPLEARN_PROFILE: 'smoke', REPLEARN_OUT: path.join(dir, 'out-timeout'), REPLEARN_CELL_TIMEOUT: '2.5' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /REPLEARN_CELL_TIMEOUT must be a whole number of seconds above 0.*got "2\.5"/);
    assert.doesNotMatch(run.stdout, /executing/);
  });

  it('refuses an unknown profile with the library\'s message', () => {
    const run = runSync(['00-environment'], { REPLEARN_PROFILE: 'quick', REPLEARN_OUT: path.join(dir, 'out-profile') });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /REPLEARN_PROFILE must be one of smoke\|standard\|full, got "quick"/);
  });
});

describe('scripts/setup.mjs writeFileAtomic', () => {
  it('never lets a concurrent reader see a truncated file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-atomic-'));
    const file = path.join(dir, 'state.json');
    const setup = pathToFileURL(path.join(root, 'scripts', 'setup.mjs')).href;
    fs.writeFileSync(file, JSON.stringify({ i: 0 }));
    const writer = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `import { writeFileAtomic } from ${JSON.stringify(setup)}; for (let i = 1; i < 400; i += 1) writeFileAtomic(${JSON.stringify(file)}, JSON.stringify({ i, pad: 'x'.repeat(2_000_000 + (i % 7)) }));`,
    ]);
    const done = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
    let finished = false;
    void done.then(() => (finished = true));
    let reads = 0;
    let torn = 0;
    while (!finished) {
      for (let k = 0; k < 20; k += 1) {
        reads += 1;
        try {
          JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch {
          torn += 1;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(await done, 0);
    assert.ok(reads > 100, `read ${reads} times`);
    assert.equal(torn, 0, `${torn} of ${reads} reads saw a partial file`);
    assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'no temporary file is left');
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { i: number }).i, 399);
  });
});
