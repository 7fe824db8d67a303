#!/usr/bin/env node
// Idempotent set-up for every README command: npm dependencies, the library build, the
// node_modules/replearn link, Jupyter in a project-local virtual environment and the tslab
// kernel. A second run only checks and returns in about a second. Uses Node built-ins only,
// because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aptAllowed } from './apt.mjs';
import { ensureNative } from './build-native.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const jupyterStatePath = path.join(root, 'build', 'jupyter-env.json');
const isWindows = process.platform === 'win32';
const npmCommand = isWindows ? 'npm.cmd' : 'npm';

const pipPackages = ['jupyterlab>=4,<5', 'notebook>=7,<8', 'nbconvert>=7,<8', 'plotly>=5'];
const debianPackages = ['jupyter-nbconvert', 'jupyter-client', 'python3-nbclient', 'jupyter-notebook'];

function log(message) {
  console.log(`[setup] ${message}`);
}

class SetupError extends Error {}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: isWindows, ...options });
  if (result.error) throw new SetupError(`${command} ${args.join(' ')} could not start: ${result.error.message}`);
  return result.status ?? 1;
}

function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  return { ok: !result.error && result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/**
 * Writes `text` to `file` (creating its folder) under a temporary name, then renames it into place,
 * so that a concurrent reader sees the old contents or the new, never a truncated file. An
 * unchanged file is left alone. Returns whether it wrote.
 */
export function writeFileAtomic(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return true;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function newestIn(dir, predicate) {
  let newest = -1;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestIn(full, predicate));
    else if (predicate(full)) newest = Math.max(newest, mtime(full));
  }
  return newest;
}

function ensureNodeModules() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  const stale = mtime(marker) < Math.max(mtime(lock), mtime(path.join(root, 'package.json')));
  if (!stale) return;
  const args = fs.existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  log(`installing npm dependencies (npm ${args[0]})`);
  if (run(npmCommand, args) !== 0) throw new SetupError(`npm ${args[0]} failed; see the npm output above.`);
  // npm ci leaves node_modules/.package-lock.json with the lockfile's age; mark it fresh.
  if (fs.existsSync(marker)) fs.utimesSync(marker, new Date(), new Date());
}

function ensureBuild() {
  const stamp = path.join(root, 'dist', '.build-stamp');
  const inputs = Math.max(
    newestIn(path.join(root, 'src'), (file) => file.endsWith('.ts')),
    mtime(path.join(root, 'tsconfig.json')),
    mtime(path.join(root, 'package.json')),
  );
  if (mtime(stamp) >= inputs && fs.existsSync(path.join(root, 'dist', 'index.js'))) return;
  log('building the library (tsc)');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (run(process.execPath, [tsc, '-p', 'tsconfig.json']) !== 0) throw new SetupError('tsc failed; see the errors above.');
  fs.writeFileSync(stamp, new Date().toISOString());
}

/** tslab does not resolve a package's self-reference, so notebooks reach replearn through this link. */
function ensureLink() {
  const link = path.join(root, 'node_modules', 'replearn');
  const target = isWindows ? root : '..';
  try {
    const stat = fs.lstatSync(link);
    if (stat.isSymbolicLink() && path.resolve(path.dirname(link), fs.readlinkSync(link)) === root) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    // No link yet.
  }
  fs.symlinkSync(target, link, isWindows ? 'junction' : 'dir');
  log('linked node_modules/replearn -> the project root');
}

function venvPaths(venv) {
  const bin = path.join(venv, isWindows ? 'Scripts' : 'bin');
  return { python: path.join(bin, isWindows ? 'python.exe' : 'python'), jupyter: path.join(bin, isWindows ? 'jupyter.exe' : 'jupyter') };
}

const versionProbe = [
  '-c',
  'import json, importlib.metadata as m\n' +
    'names = ["jupyterlab", "notebook", "nbconvert", "nbclient", "nbformat", "jupyter_client", "plotly"]\n' +
    'out = {}\n' +
    'for n in names:\n' +
    '    try: out[n] = m.version(n)\n' +
    '    except Exception: out[n] = None\n' +
    'print(json.dumps(out))',
];

function probeVersions(python) {
  const result = capture(python, versionProbe);
  if (!result.ok) return null;
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

function major(version) {
  return version ? Number(version.split('.')[0]) : 0;
}

function venvIsComplete(versions) {
  return (
    versions !== null &&
    major(versions.jupyterlab) === 4 &&
    major(versions.notebook) === 7 &&
    major(versions.nbconvert) === 7 &&
    versions.nbclient !== null &&
    versions.plotly !== null
  );
}

function basePython() {
  const candidates = [process.env.REPLEARN_PYTHON, isWindows ? 'python' : '/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    if (capture(candidate, ['-c', 'import venv, sys; assert sys.version_info >= (3, 9)']).ok) return candidate;
  }
  return null;
}

function tryVenv(venv) {
  const { python, jupyter } = venvPaths(venv);
  const existing = fs.existsSync(python) ? probeVersions(python) : null;
  if (venvIsComplete(existing)) return { mode: 'venv', python, jupyter, dataDir: path.join(venv, 'share', 'jupyter'), versions: existing };
  const base = basePython();
  if (base === null) return { failure: 'no Python 3.9+ with the venv module was found (set REPLEARN_PYTHON to one)' };
  if (!fs.existsSync(python)) {
    log(`creating the Jupyter environment ${path.relative(root, venv) || venv} with ${base}`);
    if (run(base, ['-m', 'venv', venv]) !== 0) return { failure: `${base} -m venv ${venv} failed (on Debian/Ubuntu: apt-get install python3-venv)` };
  }
  log(`installing ${pipPackages.join(', ')} with pip`);
  // Without --retries 0, pip waits out retries against an unreachable default index on offline machines.
  const status = run(python, ['-m', 'pip', 'install', '--retries', '0', '--disable-pip-version-check', ...pipPackages]);
  const versions = probeVersions(python);
  if (status === 0 && venvIsComplete(versions)) return { mode: 'venv', python, jupyter, dataDir: path.join(venv, 'share', 'jupyter'), versions };
  return { failure: `pip could not install ${pipPackages.join(' ')} into ${venv}` };
}

function tryDebian() {
  if (!aptAllowed()) return null;
  const python = '/usr/bin/python3';
  let versions = probeVersions(python);
  if (!(versions && versions.nbconvert && versions.nbclient && versions.jupyter_client)) {
    log(`falling back to Debian's packages: apt-get install ${debianPackages.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update'], { env }) !== 0) return null;
    if (run('apt-get', ['install', '-y', '--no-install-recommends', ...debianPackages], { env }) !== 0) return null;
    versions = probeVersions(python);
  }
  if (!(versions && versions.nbconvert && versions.nbclient)) return null;
  return { mode: 'debian', python, jupyter: '/usr/bin/jupyter', dataDir: path.join(root, 'build', 'jupyter', 'share', 'jupyter'), versions };
}

function ensureJupyter() {
  const venv = path.resolve(root, process.env.REPLEARN_VENV ?? '.venv');
  const fromVenv = tryVenv(venv);
  if (!('failure' in fromVenv)) return fromVenv;
  log(`${fromVenv.failure}`);
  const fromDebian = tryDebian();
  if (fromDebian !== null) {
    log('using Debian\'s Jupyter (nbconvert and the classic Notebook; no JupyterLab)');
    return fromDebian;
  }
  throw new SetupError(
    [
      `Jupyter is missing: ${fromVenv.failure}.`,
      'Install it one of these ways, then run the command again:',
      `  ${venvPaths(venv).python} -m pip install --retries 0 ${pipPackages.map((p) => `'${p}'`).join(' ')}`,
      `  sudo apt-get install -y ${debianPackages.join(' ')}   (Debian/Ubuntu; gives nbconvert 6 and Notebook 6)`,
      'or point REPLEARN_VENV at an existing virtual environment that has jupyterlab 4, notebook 7 and nbconvert 7.',
    ].join('\n'),
  );
}

/** Writes the kernel spec that `tslab install` writes, but with the project's absolute tslab binary. */
function ensureKernel(dataDir) {
  const binary = path.join(root, 'node_modules', '.bin', isWindows ? 'tslab.cmd' : 'tslab');
  if (!fs.existsSync(binary)) throw new SetupError(`${binary} is missing; npm install did not complete.`);
  const spec = {
    argv: [binary, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
  };
  const file = path.join(dataDir, 'kernels', 'tslab', 'kernel.json');
  if (writeFileAtomic(file, JSON.stringify(spec, null, 1))) log(`registered the tslab kernel in ${path.relative(root, path.dirname(file))}`);
}

/** Runs every set-up step; returns the Jupyter environment the runner and tests use. */
export function setup() {
  ensureNodeModules();
  ensureBuild();
  // The native backend's addon; without a compiler or OpenBLAS it is skipped and wasm serves.
  ensureNative((m) => log(`native addon: ${m}`));
  ensureLink();
  const jupyter = ensureJupyter();
  ensureKernel(jupyter.dataDir);
  const state = { mode: jupyter.mode, python: jupyter.python, jupyter: jupyter.jupyter, dataDir: jupyter.dataDir, versions: jupyter.versions };
  writeFileAtomic(jupyterStatePath, JSON.stringify(state, null, 2));
  return state;
}

/** The environment variables a Jupyter process needs to find the tslab kernel. */
export function jupyterEnv(state, extra = {}) {
  const env = { ...process.env, ...extra };
  if (state.mode !== 'venv') env.JUPYTER_PATH = [state.dataDir, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  return env;
}

export function readJupyterState() {
  if (!fs.existsSync(jupyterStatePath)) throw new SetupError(`${jupyterStatePath} is missing: run \`npm run setup\` first.`);
  return JSON.parse(fs.readFileSync(jupyterStatePath, 'utf8'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  try {
    const state = setup();
    const v = state.versions;
    log(
      `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Jupyter (${state.mode}) nbconvert ${v.nbconvert}` +
        (v.jupyterlab ? `, JupyterLab ${v.jupyterlab}, Notebook ${v.notebook}` : `, Notebook ${v.notebook ?? 'n/a'}`),
    );
  } catch (error) {
    if (error instanceof SetupError) {
      console.error(`[setup] ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
