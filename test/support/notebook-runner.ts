import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** Executes notebooks (all when `names` is empty) with the project's runner in the smoke profile, writing to `out`. */
export function runNotebooksSmoke(names: string[], out: string, timeoutMs = 10 * 60 * 1000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(root, 'scripts', 'run-notebooks.mjs'), ...names], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, REPLEARN_PROFILE: 'smoke', REPLEARN_OUT: out },
    timeout: timeoutMs,
  });
}
