// scripts/browser.mjs: how `npm test`'s set-up finds the browser, and the one line it prints when none exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const script = path.join(__dirname, '..', '..', 'scripts', 'browser.mjs');

function find(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.REPLEARN_CHROMIUM;
  const result = spawnSync(process.execPath, [script, '--find'], { encoding: 'utf8', env: { ...base, ...env } });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** findChromium with no install paths to fall back on, in a process whose PATH is `pathValue`. */
function findWithout(pathValue: string): { path: string | null; reason?: string } {
  const code = `import(${JSON.stringify(pathToFileURL(script).href)}).then((m) => console.log(JSON.stringify(m.findChromium([]))))`;
  const base = { ...process.env };
  delete base.REPLEARN_CHROMIUM;
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...base, PATH: pathValue } });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { path: string | null; reason?: string };
}

describe('scripts/browser.mjs --find', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-browser-'));
  const fake = path.join(dir, 'google-chrome');
  fs.writeFileSync(fake, '#!/bin/sh\n');
  fs.chmodSync(fake, 0o755);

  it('takes REPLEARN_CHROMIUM when it names an executable', () => {
    assert.deepEqual(find({ REPLEARN_CHROMIUM: fake }), { status: 0, stdout: fake, stderr: '' });
  });

  it('fails on a REPLEARN_CHROMIUM that does not exist instead of falling back', () => {
    const result = find({ REPLEARN_CHROMIUM: path.join(dir, 'missing') });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /REPLEARN_CHROMIUM=.*missing is not an executable file/);
  });

  it('finds google-chrome on PATH', () => {
    assert.deepEqual(findWithout(dir), { path: fake, source: 'PATH' });
  });

  it('says in one line what to install when nothing is found', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-empty-'));
    const result = findWithout(empty);
    assert.equal(result.path, null);
    assert.equal(result.reason?.split('\n').length, 1);
    assert.match(result.reason ?? '', /install Debian's chromium .* or set REPLEARN_CHROMIUM/);
  });
});
