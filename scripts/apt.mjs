// The Debian packages the set-up installs itself (libopenblas-dev, chromium, and Jupyter's fallback):
// only as root on Linux with apt-get, and never with REPLEARN_NO_APT=1. Node built-ins only.
import { spawnSync } from 'node:child_process';

/** Whether the set-up may install Debian packages here. */
export function aptAllowed() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || process.env.REPLEARN_NO_APT === '1' || process.platform !== 'linux') return false;
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * `apt-get update`, then `apt-get install` of `packages` without recommended ones, quietly:
 * `{ ok, seconds, failure }`, where `failure` is the last lines apt-get printed when it failed.
 */
export function aptInstall(packages) {
  const started = Date.now();
  const options = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 1_200_000 };
  const update = spawnSync('apt-get', ['update', '-qq'], options);
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], options);
  const ok = !install.error && install.status === 0;
  const output = `${update.stderr ?? ''}${install.stdout ?? ''}${install.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  return { ok, seconds: (Date.now() - started) / 1000, failure: ok ? null : output || install.error?.message || 'unknown error' };
}
