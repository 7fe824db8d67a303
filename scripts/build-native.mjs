#!/usr/bin/env node
// Builds replearn's native addon (src/native/replearn_native.cc -> build/native/replearn_native.node)
// where a C++ compiler and OpenBLAS exist, and skips it cleanly where not: training then runs on
// wasm. With oneDNN (Debian's libdnnl-dev 2.x, Homebrew's or pip's 3.x) the addon's convolutions
// can run on it; without, the addon is built without it. As root on Debian/Ubuntu it installs
// libopenblas-dev and libdnnl-dev with apt-get when they are missing (set REPLEARN_NO_APT=1 to stop
// that). REPLEARN_NATIVE=0 skips the addon altogether; REPLEARN_ONEDNN=0 builds it without oneDNN.
// Node built-ins only: setup runs it before anything else is certain.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aptAllowed, aptInstall } from './apt.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'src', 'native', 'replearn_native.cc');
export const nativeOutput = path.join(root, 'build', 'native', 'replearn_native.node');
const stampFile = path.join(root, 'build', 'native', 'build.json');

function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, ...options });
  return { ok: !result.error && result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, error: result.error };
}

function findCompiler() {
  const candidates = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean);
  for (const cxx of candidates) if (capture(cxx, ['--version']).ok) return cxx;
  return null;
}

/** Directories holding node_api.h: the running Node's own, then the node-api-headers package. */
function nodeApiIncludes() {
  const dirs = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', path.join(root, 'node_modules', 'node-api-headers', 'include')];
  return dirs.filter((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

/** Include and library flags for OpenBLAS on this platform (tried in order). */
function blasFlagSets() {
  const sets = [{ include: [], lib: [] }, { include: ['/usr/include/openblas'], lib: [] }];
  for (const prefix of ['/opt/homebrew/opt/openblas', '/usr/local/opt/openblas']) {
    if (fs.existsSync(prefix)) sets.push({ include: [path.join(prefix, 'include')], lib: [path.join(prefix, 'lib')] });
  }
  return sets;
}

/** Include and library flags for oneDNN (tried in order; the system's default paths first). */
function dnnlFlagSets() {
  const sets = [{ include: [], lib: [] }];
  for (const prefix of ['/opt/homebrew/opt/onednn', '/usr/local/opt/onednn']) {
    if (fs.existsSync(prefix)) sets.push({ include: [path.join(prefix, 'include')], lib: [path.join(prefix, 'lib')] });
  }
  return sets;
}

function compileArgs(cxx, includes, blas, { native, openmp, dnnl }) {
  const args = ['-O3', '-fno-math-errno', '-std=c++17', '-fPIC', '-Wall', '-Wno-unknown-pragmas', '-DNODE_GYP_MODULE_NAME=replearn_native', '-DNAPI_VERSION=8'];
  if (native) args.push('-march=native');
  if (openmp) args.push('-fopenmp');
  if (dnnl) args.push('-DREPLEARN_DNNL');
  for (const dir of [...includes, ...blas.include, ...(dnnl?.include ?? [])]) args.push(`-I${dir}`);
  args.push(source, '-o', nativeOutput);
  if (process.platform === 'darwin') args.push('-bundle', '-undefined', 'dynamic_lookup');
  else args.push('-shared');
  for (const dir of [...blas.lib, ...(dnnl?.lib ?? [])]) args.push(`-L${dir}`, `-Wl,-rpath,${dir}`);
  args.push('-lopenblas');
  if (dnnl) args.push('-ldnnl');
  return args;
}

/** Builds with oneDNN (`dnnl`, a flag set) or without it (null); `{ ok, command }` or `{ ok: false, output }`. */
function tryBuild(cxx, includes, dnnl) {
  let last = '';
  for (const blas of blasFlagSets()) {
    for (const variant of [
      { native: true, openmp: true },
      { native: false, openmp: true },
      // oneDNN's Debian build runs on OpenMP: without it the addon is built without oneDNN.
      ...(dnnl ? [] : [{ native: false, openmp: false }]),
    ]) {
      const args = compileArgs(cxx, includes, blas, { ...variant, dnnl });
      const result = capture(cxx, args);
      if (result.ok) return { ok: true, command: [cxx, ...args].join(' ') };
      last = result.output;
      // A missing cblas.h, libopenblas, dnnl.hpp or libdnnl is not fixed by other code-generation flags.
      if (/cblas\.h|-lopenblas|openblas|dnnl/i.test(result.output)) break;
    }
  }
  return { ok: false, output: last };
}

function missingDnnl(output) {
  return /dnnl\.hpp: No such file|cannot find -ldnnl|library not found for -ldnnl|'oneapi\/dnnl\/dnnl\.hpp' file not found/.test(output);
}

/** The build with oneDNN where it can be had (installing Debian's libdnnl-dev as root once), else without. */
function buildWithOrWithoutDnnl(cxx, includes, log) {
  if (process.env.REPLEARN_ONEDNN !== '0') {
    let last = null;
    for (const dnnl of dnnlFlagSets()) {
      const result = tryBuild(cxx, includes, dnnl);
      if (result.ok) return result;
      last = result;
    }
    if (last !== null && missingDnnl(last.output) && !missingBlas(last.output) && aptInstallMissing(log, 'oneDNN', 'libdnnl-dev')) {
      const result = tryBuild(cxx, includes, dnnlFlagSets()[0]);
      if (result.ok) return result;
      last = result;
    }
    if (last !== null && !missingBlas(last.output)) {
      log(`building without oneDNN (convolutions take the im2col way): ${missingDnnl(last.output) ? 'oneDNN was not found (Debian/Ubuntu: apt-get install libdnnl-dev; macOS: brew install onednn)' : last.output.trim().split('\n').slice(0, 2).join(' | ')}`);
    }
  }
  return tryBuild(cxx, includes, null);
}

function missingBlas(output) {
  return /cblas\.h: No such file|cannot find -lopenblas|library not found for -lopenblas|'cblas\.h' file not found/.test(output);
}

/** Installs Debian's `pkg` (for `what`, which is missing) with apt-get where the set-up may; whether it did. */
function aptInstallMissing(log, what, pkg) {
  if (!aptAllowed()) return false;
  log(`${what} is missing: installing Debian's ${pkg} with apt-get (as root; REPLEARN_NO_APT=1 stops this)`);
  const { ok, failure } = aptInstall([pkg]);
  if (!ok) log(`apt-get could not install ${pkg}: ${failure}`);
  return ok;
}

/** Whether the built file loads in a fresh Node and answers; the description or the error. */
function probe() {
  const result = capture(process.execPath, ['-e', `const a = require(${JSON.stringify(nativeOutput)}); process.stdout.write(a.describe())`]);
  return { ok: result.ok, text: result.output.trim().split('\n')[0] };
}

/**
 * Builds the addon when the source is newer than the build (or the build is missing).
 * Returns `{ built, reason }`; never throws for a missing compiler or library.
 */
export function ensureNative(log = (m) => console.log(`[native] ${m}`)) {
  if (process.env.REPLEARN_NATIVE === '0') return { built: false, reason: 'REPLEARN_NATIVE=0' };
  const sourceTime = fs.statSync(source).mtimeMs;
  const stamp = fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, 'utf8')) : null;
  // A build without oneDNN on request (REPLEARN_ONEDNN=0) is redone when oneDNN is wanted again, and the other way round.
  const wantsDnnl = process.env.REPLEARN_ONEDNN !== '0';
  if (fs.existsSync(nativeOutput) && stamp?.sourceTime === sourceTime && stamp?.node === process.versions.modules && (stamp?.wantsDnnl ?? true) === wantsDnnl) return { built: true, reason: 'up to date' };
  if (process.platform === 'win32') {
    return skip(log, 'the native addon is built on Linux and macOS only; on Windows use WSL2 (see environment.md)');
  }
  const cxx = findCompiler();
  if (cxx === null) return skip(log, 'no C++ compiler (c++, g++ or clang++; set CXX) was found');
  const includes = nodeApiIncludes();
  if (includes.length === 0) return skip(log, 'node_api.h was not found (npm ci installs node-api-headers)');
  fs.mkdirSync(path.dirname(nativeOutput), { recursive: true });
  fs.rmSync(nativeOutput, { force: true });
  const started = Date.now();
  let result = buildWithOrWithoutDnnl(cxx, [includes[0]], log);
  if (!result.ok && missingBlas(result.output) && aptInstallMissing(log, 'OpenBLAS', 'libopenblas-dev')) result = buildWithOrWithoutDnnl(cxx, [includes[0]], log);
  if (!result.ok) {
    const why = missingBlas(result.output)
      ? 'OpenBLAS was not found (Debian/Ubuntu: apt-get install libopenblas-dev; Fedora: dnf install openblas-devel; macOS: brew install openblas)'
      : `the compiler failed: ${result.output.trim().split('\n').slice(0, 3).join(' | ')}`;
    return skip(log, why);
  }
  const check = probe();
  if (!check.ok) {
    fs.rmSync(nativeOutput, { force: true });
    return skip(log, `it built but does not load: ${check.text}`);
  }
  fs.writeFileSync(stampFile, JSON.stringify({ sourceTime, node: process.versions.modules, wantsDnnl, command: result.command, blas: check.text, os: `${os.platform()} ${os.arch()}` }, null, 2));
  log(`built build/native/replearn_native.node in ${((Date.now() - started) / 1000).toFixed(1)} s (${check.text})`);
  return { built: true, reason: check.text };
}

function skip(log, reason) {
  log(`not built: ${reason}. Training runs on wasm instead.`);
  return { built: false, reason };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = ensureNative();
  if (!result.built && process.env.REPLEARN_REQUIRE_NATIVE === '1') {
    console.error('[native] REPLEARN_REQUIRE_NATIVE=1 and the addon could not be built');
    process.exit(1);
  }
  if (result.built && process.env.REPLEARN_REQUIRE_ONEDNN === '1' && !/oneDNN/.test(JSON.parse(fs.readFileSync(stampFile, 'utf8')).blas ?? '')) {
    console.error('[native] REPLEARN_REQUIRE_ONEDNN=1 and the addon was built without oneDNN');
    process.exit(1);
  }
}
