// scripts/lab.mjs: the token reaches Jupyter through its environment, never its command line, and
// authentication is never turned off by an empty token.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { freePort } from '../support/jupyter-server';

const root = path.join(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'lab.mjs');
const statePath = path.join(root, 'build', 'jupyter-env.json');

interface JupyterState {
  mode: string;
  jupyter: string;
  dataDir: string;
  versions: Record<string, string>;
}

interface Built {
  options: { token: string | null; auth: boolean };
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
}

const venvState: JupyterState = { mode: 'venv', jupyter: '/venv/bin/jupyter', dataDir: '/venv/share/jupyter', versions: {} };
const debianState: JupyterState = { mode: 'debian', jupyter: '/usr/bin/jupyter', dataDir: '/build/jupyter/share/jupyter', versions: { notebook: '6.4.12' } };

/**
 * Runs parseLabArgs and jupyterCommand of scripts/lab.mjs in a fresh process whose environment is
 * `env`, for a user other than root (`as-user`) or for whoever runs the test (`as-caller`).
 */
function build(argv: string[], state: JupyterState, env: Record<string, string> = {}, who: 'as-user' | 'as-caller' = 'as-user'): Built {
  const code =
    `import(${JSON.stringify(pathToFileURL(script).href)}).then((m) => {` +
    `  const options = m.parseLabArgs(${JSON.stringify(argv)});` +
    `  const built = m.jupyterCommand(options, ${JSON.stringify(state)}${who === 'as-user' ? ', false' : ''});` +
    `  console.log(JSON.stringify({ options, command: built.command, args: built.args, env: built.env }));` +
    `}).catch((error) => { console.error(error.message); process.exit(3); });`;
  const base = { ...process.env };
  delete base.JUPYTER_TOKEN;
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...base, ...env } });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Built;
}

/** parseLabArgs's error for `argv`, or null when it accepts them. */
function refusal(argv: string[], env: Record<string, string> = {}): string | null {
  const code =
    `import(${JSON.stringify(pathToFileURL(script).href)}).then((m) => m.parseLabArgs(${JSON.stringify(argv)}))` +
    `.then(() => process.exit(0), (error) => { console.error(error.constructor.name + ': ' + error.message); process.exit(3); });`;
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, ...env } });
  return result.status === 0 ? null : result.stderr.trim();
}

function assertTokenOnlyInEnv(built: Built, token: string): void {
  for (const arg of [built.command, ...built.args]) assert.ok(!arg.includes(token), `the token is on Jupyter's command line: ${arg}`);
  assert.ok(!built.args.some((arg) => /token/i.test(arg)), `no token option at all: ${built.args.join(' ')}`);
  assert.equal(built.env.JUPYTER_TOKEN, token);
}

describe('scripts/lab.mjs: the Jupyter command', () => {
  it('passes --token to JupyterLab through JUPYTER_TOKEN, not its arguments', () => {
    const built = build(['--no-browser', '--token', 'sekrit-0123', '--port', '9001'], venvState);
    assertTokenOnlyInEnv(built, 'sekrit-0123');
    assert.equal(built.command, '/venv/bin/jupyter');
    assert.deepEqual(built.args.slice(0, 3), ['lab', '--ServerApp.ip=127.0.0.1', '--ServerApp.port=9001']);
  });

  it('does the same for the classic Notebook 6 of the Debian fallback, which reads JUPYTER_TOKEN too', () => {
    const built = build(['--token', 'sekrit-0123'], debianState);
    assertTokenOnlyInEnv(built, 'sekrit-0123');
    assert.equal(built.args[0], 'notebook');
    assert.ok(built.args.includes('--NotebookApp.ip=127.0.0.1'));
  });

  it('takes the token from JUPYTER_TOKEN, else a random one, and keeps either off the command line', () => {
    assertTokenOnlyInEnv(build([], venvState, { JUPYTER_TOKEN: 'from-the-env' }), 'from-the-env');
    const random = build([], venvState);
    assert.match(random.options.token ?? '', /^[0-9a-f]{48}$/);
    assertTokenOnlyInEnv(random, random.options.token ?? '');
    // An empty JUPYTER_TOKEN is unset to Jupyter as well: a random token, never none.
    assert.match(build([], venvState, { JUPYTER_TOKEN: '' }).options.token ?? '', /^[0-9a-f]{48}$/);
  });

  it('refuses an empty token instead of turning authentication off', () => {
    for (const empty of ['', '  ']) {
      const error = refusal(['--token', empty]);
      assert.ok(error !== null, `--token ${JSON.stringify(empty)} was accepted`);
      assert.match(error, /^LabError: --token must not be empty: an empty token turns off Jupyter's authentication.*--no-auth/);
    }
  });

  it('turns authentication off only with --no-auth, and not together with a token', () => {
    const built = build(['--no-auth'], venvState, { JUPYTER_TOKEN: 'inherited' });
    assert.equal(built.options.auth, false);
    assert.ok(built.args.includes('--IdentityProvider.token='));
    assert.equal(built.env.JUPYTER_TOKEN, undefined, 'an inherited JUPYTER_TOKEN is not passed on');
    assert.ok(build(['--no-auth'], debianState).args.includes('--NotebookApp.token='));
    assert.match(refusal(['--no-auth', '--token', 'x']) ?? '', /--token and --no-auth contradict each other/);
  });
});

describe('scripts/lab.mjs as a command', () => {
  it('exits with the refusal on --token "" before doing any set-up', () => {
    // --dry-run too, so that a launcher that took the empty token would still start nothing.
    const result = spawnSync(process.execPath, [script, '--dry-run', '--token', ''], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^\[lab\] --token must not be empty/);
    assert.equal(result.stdout, '');
  });

  const recorded = fs.existsSync(statePath) ? (JSON.parse(fs.readFileSync(statePath, 'utf8')) as JupyterState) : null;
  const noState = recorded === null ? `${statePath} is missing: run npm run setup` : false;

  it('--dry-run prints the command it would start, without the token', { skip: noState }, () => {
    const token = 'dry-run-token-5f1e';
    const result = spawnSync(process.execPath, [script, '--dry-run', '--no-browser', '--token', token], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(token), result.stdout);
    assert.match(result.stdout, /--(ServerApp|NotebookApp)\.ip=127\.0\.0\.1/);
    assert.match(result.stdout, /with JUPYTER_TOKEN set in its environment \(18 characters, not shown\)/);
  });

  // The recorded Jupyter itself: it must honour JUPYTER_TOKEN, or the printed URL would not let anyone in.
  const linuxOnly = process.platform === 'linux' ? false : 'reads /proc/PID/cmdline';
  it('starts a Jupyter server that takes the token from its environment and shows it to no one in ps', { skip: noState || linuxOnly, timeout: 120_000 }, async () => {
    const state = recorded as JupyterState;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-lab-'));
    const port = await freePort();
    const token = 'lab-test-token-9c2d41';
    const built = build(['--no-browser', '--port', String(port), '--token', token, '--root', dir, '--', `--${state.mode === 'venv' ? 'ServerApp' : 'NotebookApp'}.port_retries=0`], state, {}, 'as-caller');
    const child = spawn(built.command, built.args, {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Keeps the user's own Jupyter configuration (which could set a token) out.
      env: { ...built.env, JUPYTER_CONFIG_DIR: path.join(dir, 'config'), JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime') },
    });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const status = (query: string) =>
      new Promise<number>((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/api/status${query}`, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).on('error', reject);
      });
    try {
      const started = Date.now();
      for (;;) {
        if (child.exitCode !== null) assert.fail(`Jupyter exited with ${child.exitCode}:\n${log}`);
        if (Date.now() - started > 90_000) assert.fail(`Jupyter did not answer within 90 s:\n${log}`);
        try {
          await status('');
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      assert.equal(await status(`?token=${token}`), 200, log);
      assert.equal(await status(''), 403, 'without the token the server refuses');
      assert.equal(await status('?token=wrong'), 403);
      const cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(cmdline.some((arg) => arg.includes(`port=${port}`)), `this is the server: ${cmdline.join(' ')}`);
      assert.ok(!cmdline.join(' ').includes(token), `the token is in ps: ${cmdline.join(' ')}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-(child.pid as number), 'SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
