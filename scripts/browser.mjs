#!/usr/bin/env node
// Finds the Chromium or Chrome that the browser tests drive, and installs Debian's chromium
// where none is found and the set-up runs as root with apt-get (REPLEARN_NO_APT=1 stops that).
// Node built-ins only: `npm test`'s set-up runs it, and the browser tests import `findChromium`.
//   node scripts/browser.mjs          find (or install) a browser and print its path
//   node scripts/browser.mjs --find   only look; print the path, or the line saying what to install
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { aptAllowed, aptInstall } from './apt.mjs';

/** The one line that says what to install; the set-up prints it and the browser tests fail with it. */
export const chromiumMissing =
  'No Chromium or Chrome was found for the browser tests: install Debian\'s chromium (sudo apt-get install --no-install-recommends chromium), ' +
  'or Chrome or Chromium from your platform, or set REPLEARN_CHROMIUM to the browser\'s executable';

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` found on PATH, or null. */
function onPath(names) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const suffixes = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const name of names) {
    for (const dir of dirs) {
      for (const suffix of suffixes) {
        const file = path.join(dir, name + suffix);
        if (isExecutable(file)) return file;
      }
    }
  }
  return null;
}

/** Where Chrome and Chromium install themselves on macOS and Windows. */
export function installPaths() {
  if (process.platform === 'darwin') {
    const apps = ['/Applications', path.join(process.env.HOME ?? '', 'Applications')];
    return apps.flatMap((dir) => [
      path.join(dir, 'Chromium.app', 'Contents', 'MacOS', 'Chromium'),
      path.join(dir, 'Google Chrome.app', 'Contents', 'MacOS', 'Google Chrome'),
    ]);
  }
  if (process.platform === 'win32') {
    const bases = [process.env.LOCALAPPDATA, process.env.PROGRAMFILES, process.env['PROGRAMFILES(X86)']].filter(Boolean);
    return bases.flatMap((base) => [
      path.join(base, 'Chromium', 'Application', 'chrome.exe'),
      path.join(base, 'Google', 'Chrome', 'Application', 'chrome.exe'),
    ]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];
}

/**
 * The browser to drive: `{ path, source }`, or `{ path: null, reason }`. REPLEARN_CHROMIUM wins and
 * must exist (a wrong path is an error, not a silent fallback); then Debian's `chromium`,
 * `chromium-browser`, `google-chrome` on PATH; then `candidates` (default: the usual install paths).
 */
export function findChromium(candidates = installPaths()) {
  const named = process.env.REPLEARN_CHROMIUM;
  if (named) {
    if (isExecutable(named)) return { path: named, source: 'REPLEARN_CHROMIUM' };
    return { path: null, reason: `REPLEARN_CHROMIUM=${named} is not an executable file` };
  }
  const found = onPath(['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome']);
  if (found) return { path: found, source: 'PATH' };
  const installed = candidates.find(isExecutable);
  if (installed) return { path: installed, source: 'install path' };
  return { path: null, reason: chromiumMissing };
}

function aptInstallChromium(log) {
  if (!aptAllowed()) return false;
  log('no Chromium found: installing Debian\'s chromium with apt-get for the browser tests (as root; REPLEARN_NO_APT=1 stops this; it took 17 s to a few minutes here)');
  const { ok, seconds, failure } = aptInstall(['chromium']);
  log(ok ? `installed Debian's chromium in ${seconds.toFixed(0)} s` : `apt-get could not install chromium: ${failure}`);
  return ok;
}

/** Finds a browser, installing Debian's chromium as root where none is found; `{ path }` or `{ path: null, reason }`. */
export function ensureChromium(log = (m) => console.log(`[browser] ${m}`)) {
  const found = findChromium();
  if (found.path !== null || process.env.REPLEARN_CHROMIUM) return found;
  if (aptInstallChromium(log)) return findChromium();
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = process.argv.includes('--find') ? findChromium() : ensureChromium();
  if (result.path === null) {
    console.error(`[browser] ${result.reason}`);
    process.exit(1);
  }
  console.log(result.path);
}
