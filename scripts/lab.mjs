#!/usr/bin/env node
// `npm run lab` / `npm run notebook`: the set-up, then JupyterLab (or Notebook 7) from the project's
// Jupyter environment on the notebooks folder with the tslab kernel registered, and the URL to open.
//
//   node scripts/lab.mjs [--notebook] [--no-browser] [--port N] [--token T] [--root DIR] [-- jupyter args]
//
// --notebook   Notebook 7 instead of JupyterLab
// --no-browser do not open a browser (remote machines, tests)
// --port N     the port (default 8888; Jupyter moves to the next free one when it is taken)
// --token T    the access token (default: a random one; JUPYTER_TOKEN is honoured)
// --root DIR   the folder to serve (default notebooks/)
// Arguments after `--` go to Jupyter unchanged.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jupyterEnv, root, setup } from './setup.mjs';

function fail(message) {
  console.error(`[lab] ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { app: 'lab', openBrowser: true, port: 8888, token: process.env.JUPYTER_TOKEN || null, root: path.join(root, 'notebooks'), extra: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) fail(`${arg} needs a value`);
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
      if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be an integer in 1..65535, got ${argv[i]}`);
      options.port = port;
    } else if (arg === '--token') options.token = value();
    else if (arg === '--root') options.root = path.resolve(value());
    else if (arg === '--help' || arg === '-h') {
      console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 12).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else fail(`unknown option ${arg} (see --help; pass Jupyter's own options after --)`);
  }
  if (!fs.existsSync(options.root) || !fs.statSync(options.root).isDirectory()) fail(`--root ${options.root} is not a folder`);
  if (options.token === null) options.token = randomBytes(24).toString('hex');
  return options;
}

const options = parseArgs(process.argv.slice(2));
let state;
try {
  state = setup();
} catch (error) {
  fail(error.message);
}

// Debian's fallback has the classic Notebook 6 only, which takes other option names.
const classic = state.mode !== 'venv';
const app = classic ? 'notebook' : options.app;
if (classic) {
  console.log(`[lab] this Jupyter (${state.mode}) has no JupyterLab or Notebook 7; starting the classic Notebook ${state.versions.notebook ?? ''}`);
}
const serverApp = classic ? 'NotebookApp' : 'ServerApp';
const args = [
  app,
  `--${serverApp}.ip=127.0.0.1`,
  `--${serverApp}.port=${options.port}`,
  classic ? `--NotebookApp.notebook_dir=${options.root}` : `--ServerApp.root_dir=${options.root}`,
  classic ? `--NotebookApp.token=${options.token}` : `--IdentityProvider.token=${options.token}`,
  `--${serverApp}.open_browser=${options.openBrowser ? 'True' : 'False'}`,
  // New notebooks (the launcher, File > New) get the TypeScript kernel too.
  '--MappingKernelManager.default_kernel_name=tslab',
];
if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--allow-root');
args.push(...options.extra);

const name = app === 'lab' ? 'JupyterLab' : 'Notebook';
console.log(`[lab] starting ${name} on ${path.relative(root, options.root) || options.root} (Ctrl+C twice to stop)`);
const child = spawn(state.jupyter, args, { cwd: options.root, env: jupyterEnv(state), stdio: ['inherit', 'inherit', 'pipe'] });

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
  console.log(`\n[lab] ${name} is running. Open this URL in a browser:\n[lab]   ${hasFirst ? first : `${base}/${app === 'lab' ? 'lab' : 'tree'}`}?token=${options.token}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // Ctrl+C in a terminal reaches Jupyter directly (same process group); other signals are passed on.
    if (signal !== 'SIGINT' || !process.stdin.isTTY) child.kill(signal === 'SIGINT' ? 'SIGTERM' : signal);
  });
}
child.on('error', (error) => fail(`${state.jupyter} could not start: ${error.message}`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
