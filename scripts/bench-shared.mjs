// What the benchmark scripts (bench.mjs, bench-latent.mjs, bench-trees.mjs) share: their argument
// parsing, the median of rounds, the one-thread environment and a measuring child's report, and a
// Python for their peers (PyTorch, scikit-learn, LightGBM), which are not project
// dependencies and are made on first use in build/peers/venv from pip's configured index (always
// with --retries 0).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A Python that can `import module`: the one named by the environment variable `envName`, the
 * project's peer venv (made, or extended with `pipPackage`, on first use), or the system's.
 * Returns `{ python }` or `{ why }`.
 */
export function peerPython(root, { module, pipPackage, envName, label }) {
  const has = (py) => spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0;
  const named = process.env[envName];
  if (named) return has(named) ? { python: named } : { why: `${envName}=${named} cannot import ${module}` };
  const venv = path.join(root, 'build', 'peers', 'venv');
  const py = path.join(venv, 'bin', 'python');
  if (fs.existsSync(py) && has(py)) return { python: py };
  const base = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  console.log(`${label} peers: installing ${pipPackage} into build/peers/venv with pip install --retries 0 ...`);
  const made = fs.existsSync(py) ? { status: 0 } : spawnSync(base, ['-m', 'venv', venv], { encoding: 'utf8' });
  if (made.status === 0) {
    const pip = spawnSync(path.join(venv, 'bin', 'pip'), ['install', '--retries', '0', '--quiet', pipPackage], { encoding: 'utf8', timeout: 900000 });
    if (pip.status === 0 && has(py)) return { python: py };
  }
  if (has(base)) return { python: base };
  return { why: `no ${label}: pip could not install ${pipPackage} into build/peers/venv and ${base} has none (set ${envName} to a Python with it)` };
}

/** Removes `name` and the value after it from `args` and returns the value (undefined when absent). */
export function takeOption(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

/** The median of the finite numbers among `xs` (undefined when there are none). */
export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Environment for a measurement on one thread: replearn's native backend, OpenMP, OpenBLAS and MKL. */
export const oneThread = { REPLEARN_NATIVE_THREADS: '1', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/**
 * What a measuring child process (`spawnSync` result) reported: the JSON after its `RESULT ` line,
 * or `{ failed }` with its `FAILED ` line or, without either, its exit status and last stderr lines.
 */
export function parseChild(run) {
  const out = run.stdout ?? '';
  const line = out.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('FAILED '));
  if (line?.startsWith('RESULT ')) return JSON.parse(line.slice(7));
  return { failed: line ? JSON.parse(line.slice(7)) : `exited with ${run.status}: ${(run.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
}
