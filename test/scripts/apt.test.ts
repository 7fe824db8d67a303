// scripts/apt.mjs: the one place that decides whether the set-up may install Debian packages, and how.
// A fake apt-get on PATH records what it is asked to do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const apt = pathToFileURL(path.join(__dirname, '..', '..', 'scripts', 'apt.mjs')).href;
const asRoot = process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs `expression` (over the module as `m`) in a process whose PATH starts with a fake apt-get. */
function withFakeApt(expression: string, env: Record<string, string> = {}, failInstall = false) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-apt-'));
  const log = path.join(dir, 'calls');
  const fake = path.join(dir, 'apt-get');
  fs.writeFileSync(fake, `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${log}\n${failInstall ? 'case "$1" in install) echo "E: Unable to locate package nothing" >&2; exit 100;; esac\n' : ''}exit 0\n`, { mode: 0o755 });
  const base = { ...process.env };
  delete base.REPLEARN_NO_APT;
  const code = `import(${JSON.stringify(apt)}).then((m) => console.log(JSON.stringify(${expression})))`;
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...base, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, ...env } });
  assert.equal(result.status, 0, result.stderr);
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return { value: JSON.parse(result.stdout) as unknown, calls };
}

describe('scripts/apt.mjs', { skip: !asRoot && 'installs only as root on Linux' }, () => {
  it('may install as root, and not with REPLEARN_NO_APT=1', () => {
    assert.equal(withFakeApt('m.aptAllowed()').value, true);
    assert.equal(withFakeApt('m.aptAllowed()', { REPLEARN_NO_APT: '1' }).value, false);
  });

  it('updates, then installs without recommended packages, non-interactively', () => {
    const { value, calls } = withFakeApt("m.aptInstall(['chromium'])");
    assert.deepEqual(calls, ['noninteractive update -qq', 'noninteractive install -y -qq --no-install-recommends chromium']);
    assert.equal((value as { ok: boolean }).ok, true);
  });

  it("reports a failed install with apt-get's last words", () => {
    const { value } = withFakeApt("m.aptInstall(['nothing'])", {}, true);
    assert.deepEqual({ ok: (value as { ok: boolean }).ok, failure: (value as { failure: string }).failure }, { ok: false, failure: 'E: Unable to locate package nothing' });
  });
});
