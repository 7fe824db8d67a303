#!/usr/bin/env node
// Runs the test suite with node's own test runner through the tsx TypeScript loader.
//   node scripts/test.mjs           every test, the notebook execution (smoke profile) included
//   node scripts/test.mjs --unit    everything except the tests that execute notebooks or a browser
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureChromium } from './browser.mjs';
import { root } from './setup.mjs';

const browserSuites = new Set(['html-export.browser.test.ts', 'jupyterlab.browser.test.ts']);
// Suites that start Jupyter kernels or a browser: left out of --unit.
const slow = new Set(['notebooks.test.ts', 'run-notebooks.test.ts', 'exercises.test.ts', ...browserSuites]);

function findTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const unitOnly = process.argv.includes('--unit');
const files = findTests(path.join(root, 'test'))
  .filter((file) => !(unitOnly && slow.has(path.basename(file))))
  .sort();
// The browser suites need Chromium: found, or installed as root on Debian (scripts/browser.mjs). Where
// neither works, the set-up says what to install and those suites fail with the same line.
if (files.some((file) => browserSuites.has(path.basename(file)))) {
  const browser = ensureChromium((m) => console.log(`[setup] ${m}`));
  if (browser.path === null) console.error(`[setup] ${browser.reason}`);
}
// tsx strips types without checking them: type-check the library and the tests first.
const typecheck = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'test')], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.error('test: type errors in src/ or test/ (tsc -p test)');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, REPLEARN_PROFILE: process.env.REPLEARN_PROFILE ?? 'smoke' },
});
process.exit(result.status ?? 1);
