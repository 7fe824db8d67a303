#!/usr/bin/env node
// `npm run lab` / `npm run notebook`: the set-up, then JupyterLab (or Notebook 7) from the project's
// Jupyter environment on the notebooks folder with the tslab kernel registered, and the URL to open.
//
//   node scripts/lab.mjs [--notebook] [--no-browser] [--port N] [--token T | --no-auth] [--root DIR] [--dry-run] [-- jupyter args]
//
// --notebook   Notebook 7 instead of JupyterLab
// --no-browser do not open a browser (remote machines, tests)
// --port N     the port (default 8888; Jupyter moves to the next free one when it is taken)
// --token T    the access token (default: JUPYTER_TOKEN, else a random one); it must not be empty.
//              Jupyter gets it through its environment, never its command line; T itself shows in
//              `ps` while this launcher runs, JUPYTER_TOKEN=T does not
// --no-auth    no token at all: anyone who can reach the port runs code as you (prints a warning)
// --root DIR   the folder to serve (default notebooks/)
// --dry-run    print the Jupyter command (without the token) from the recorded set-up, start nothing
// Arguments after `--` go to Jupyter unchanged.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jupyterEnv, readJupyterState, root, setup } from './setup.mjs';

/** A mistake in the launcher's arguments or environment; the message is the one line to print. */
export class LabError extends Error {}

/** The launcher's options from its arguments; an empty token is refused (`--no-auth` turns authentication off on purpose). */
export function parseLabArgs(argv, env = process.env) {
  const fromEnv = env.JUPYTER_TOKEN;
  const options = {
    app: 'lab',
    openBrowser: true,
    port: 8888,
    // An empty JUPYTER_TOKEN counts as unset, as Jupyter itself reads it.
    token: fromEnv !== undefined && fromEnv !== '' ? fromEnv : null,
    auth: true,
    root: path.join(root, 'notebooks'),
    dryRun: false,
    help: false,
    extra: [],
  };
  let tokenGiven = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new LabError(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if (arg === '--') {
      options.extra = argv.slice(i + 1);
      break;
    } else if (arg === '--notebook') options.app = 'notebook';
    else if (arg === '--lab') options.app = 'lab';
    else if (arg === '--no-browser') options.openBrowser = false;
    else if (arg === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LabError(`--port must be an integer in 1..65535, got ${argv[i]}`);
      options.port = port;
    } else if (arg === '--token') {
      options.token = value();
      tokenGiven = true;
      if (options.token.trim() === '') {
        throw new LabError(
          '--token must not be empty: an empty token turns off Jupyter\'s authentication, so anyone who can reach the port could run code as you. ' +
            'Leave --token out for a random token, or pass --no-auth to turn authentication off on purpose.',
        );
      }
    } else if (arg === '--no-auth') options.auth = false;
    else if (arg === '--root') options.root = path.resolve(value());
    else if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new LabError(`unknown option ${arg} (see --help; pass Jupyter's own options after --)`);
  }
  if (!options.auth) {
    if (tokenGiven) throw new LabError('--token and --no-auth contradict each other: give one of them');
    options.token = null;
  } else if (options.token === null) options.token = randomBytes(24).toString('hex');
  if (!fs.existsSync(options.root) || !fs.statSync(options.root).isDirectory()) throw new LabError(`--root ${options.root} is not a folder`);
  return options;
}

/**
 * The Jupyter process to start: `{ command, args, env, app, name }`. The token travels in `env`
 * (JUPYTER_TOKEN, which jupyter_server 2 and Notebook 6 read as their token's default), never in
 * `args`, which every local user can read through `ps`.
 */
export function jupyterCommand(options, state, isRoot = typeof process.getuid === 'function' && process.getuid() === 0) {
  // Debian's fallback has the classic Notebook 6 only, which takes other option names.
  const classic = state.mode !== 'venv';
  const app = classic ? 'notebook' : options.app;
  const serverApp = classic ? 'NotebookApp' : 'ServerApp';
  const args = [
    app,
    `--${serverApp}.ip=127.0.0.1`,
    `--${serverApp}.port=${options.port}`,
    classic ? `--NotebookApp.notebook_dir=${options.root}` : `--ServerApp.root_dir=${options.root}`,
    `--${serverApp}.open_browser=${options.openBrowser ? 'True' : 'False'}`,
    // New notebooks (the launcher, File > New) get the TypeScript kernel too.
    '--MappingKernelManager.default_kernel_name=tslab',
  ];
  const env = jupyterEnv(state);
  delete env.JUPYTER_TOKEN_FILE;
  if (options.auth) env.JUPYTER_TOKEN = options.token;
  else {
    // An empty token is only ever set on purpose (--no-auth); it holds no secret.
    delete env.JUPYTER_TOKEN;
    args.push(classic ? '--NotebookApp.token=' : '--IdentityProvider.token=');
  }
  if (isRoot) args.push('--allow-root');
  args.push(...options.extra);
  return { command: state.jupyter, args, env, app, name: app === 'lab' ? 'JupyterLab' : 'Notebook' };
}

function helpText() {
  const lines = fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
  return lines
    .slice(0, lines.findIndex((line) => !line.startsWith('//')))
    .map((line) => line.replace(/^\/\/ ?/, ''))
    .join('\n');
}

function main(argv) {
  const fail = (message) => {
    console.error(`[lab] ${message}`);
    process.exit(2);
  };
  let options;
  let state;
  try {
    options = parseLabArgs(argv);
    if (options.help) {
      console.log(helpText());
      return;
    }
    // A dry run takes what the last set-up recorded and changes nothing.
    state = options.dryRun ? readJupyterState() : setup();
  } catch (error) {
    fail(error.message);
  }
  const { command, args, env, app, name } = jupyterCommand(options, state);
  const tokenNote = options.auth ? `JUPYTER_TOKEN set in its environment (${options.token.length} characters, not shown)` : 'no token (--no-auth)';
  if (!options.auth) {
    console.warn(`[lab] warning: --no-auth turns Jupyter's authentication off: anyone who can reach 127.0.0.1:${options.port} (every user of this machine, and whatever is tunnelled to it) can run code as you.`);
  }
  if (options.dryRun) {
    console.log(`[lab] would run in ${options.root}:\n[lab]   ${[command, ...args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n[lab] with ${tokenNote}`);
    return;
  }
  if (state.mode !== 'venv') {
    console.log(`[lab] this Jupyter (${state.mode}) has no JupyterLab or Notebook 7; starting the classic Notebook ${state.versions.notebook ?? ''}`);
  }
  console.log(`[lab] starting ${name} on ${path.relative(root, options.root) || options.root} (Ctrl+C twice to stop)`);
  const child = spawn(command, args, { cwd: options.root, env, stdio: ['inherit', 'inherit', 'pipe'] });

  // Jupyter logs to stderr; it is passed through, and the first local URL it prints becomes a banner.
  let announced = false;
  let pending = '';
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    if (announced) return;
    pending += chunk.toString('utf8');
    const match = /http:\/\/127\.0\.0\.1:(\d+)\/(lab|tree)?\S*/.exec(pending);
    if (match === null) {
      pending = pending.slice(-4096);
      return;
    }
    announced = true;
    const base = `http://127.0.0.1:${match[1]}`;
    const first = app === 'lab' ? `${base}/lab/tree/00-environment.ipynb` : `${base}/notebooks/00-environment.ipynb`;
    const hasFirst = fs.existsSync(path.join(options.root, '00-environment.ipynb'));
    const query = options.auth ? `?token=${options.token}` : '';
    console.log(`\n[lab] ${name} is running. Open this URL in a browser:\n[lab]   ${hasFirst ? first : `${base}/${app === 'lab' ? 'lab' : 'tree'}`}${query}\n`);
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      // Ctrl+C in a terminal reaches Jupyter directly (same process group); other signals are passed on.
      if (signal !== 'SIGINT' || !process.stdin.isTTY) child.kill(signal === 'SIGINT' ? 'SIGTERM' : signal);
    });
  }
  child.on('error', (error) => fail(`${command} could not start: ${error.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
