import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** A Jupyter server started through the README's command (`scripts/lab.mjs`). */
export interface JupyterServer {
  /** `http://127.0.0.1:PORT` */
  base: string;
  token: string;
  /** Everything the server and the launcher printed so far. */
  log: () => string;
  stop: () => Promise<void>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function writeNewsSetting(stateDir: string): void {
  const news = path.join(stateDir, 'settings', '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings');
  fs.mkdirSync(path.dirname(news), { recursive: true });
  fs.writeFileSync(news, JSON.stringify({ fetchNews: 'false' }));
}

/**
 * Starts JupyterLab (or Notebook 7) with `node scripts/lab.mjs` on 127.0.0.1 with a random port and token, serving
 * `notebookDir`, with Jupyter's user folders (settings, workspaces, data, runtime, config) inside
 * `stateDir` so that neither the user's set-up nor an earlier run leaks in. Resolves once the
 * launcher printed the URL to open; `stop()` ends the whole process group.
 */
export async function startJupyterLab(notebookDir: string, stateDir: string, env: NodeJS.ProcessEnv = {}, app: 'lab' | 'notebook' = 'lab'): Promise<JupyterServer> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  for (const dir of ['settings', 'workspaces', 'data', 'runtime', 'config']) fs.mkdirSync(path.join(stateDir, dir), { recursive: true });
  // No "get notified about Jupyter news?" toast over JupyterLab's screenshots.
  if (app === 'lab') writeNewsSetting(stateDir);
  const args = [
    path.join(root, 'scripts', 'lab.mjs'),
    ...(app === 'notebook' ? ['--notebook'] : []),
    '--no-browser',
    '--port',
    String(port),
    '--root',
    notebookDir,
    '--',
    // Lets the test reach the application object (window.jupyterapp) to read execute replies.
    '--LabApp.expose_app_in_browser=True',
    '--JupyterNotebookApp.expose_app_in_browser=True',
    `--LabApp.user_settings_dir=${path.join(stateDir, 'settings')}`,
    `--LabApp.workspaces_dir=${path.join(stateDir, 'workspaces')}`,
    `--JupyterNotebookApp.user_settings_dir=${path.join(stateDir, 'settings')}`,
    `--JupyterNotebookApp.workspaces_dir=${path.join(stateDir, 'workspaces')}`,
    '--ServerApp.port_retries=0',
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Through the environment, as a careful user would: a --token argument shows in ps.
      JUPYTER_TOKEN: token,
      ...env,
      JUPYTER_DATA_DIR: path.join(stateDir, 'data'),
      JUPYTER_RUNTIME_DIR: path.join(stateDir, 'runtime'),
      JUPYTER_CONFIG_DIR: path.join(stateDir, 'config'),
    },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      return;
    }
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
    }
  };

  const started = Date.now();
  while (!/\[lab\] +http:\/\/127\.0\.0\.1:\d+\S*\?token=/.test(output)) {
    if (child.exitCode !== null) throw new Error(`scripts/lab.mjs exited with ${child.exitCode} before printing a URL:\n${output}`);
    if (Date.now() - started > 180_000) {
      await stop();
      throw new Error(`JupyterLab did not print its URL within 180 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /\[lab\] +(http:\/\/127\.0\.0\.1:\d+)\S*\?token=(\S+)/.exec(output);
  if (url === null || url[2] !== token) {
    await stop();
    throw new Error(`the launcher printed an unexpected URL:\n${output}`);
  }
  return { base: url[1], token, log: () => output, stop };
}
