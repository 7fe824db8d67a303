import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon, nativeThreads } from './kernels/native/load';
import { nativeBackendName, registerNativeBackend } from './kernels/native/register';
import { installedPackage, readPackageJson } from './environment';
import { registerWasmKernels } from './kernels/wasm-kernels';

/** A TF.js backend replearn can run on, best first. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'native' | 'wasm' | 'cpu';

/** What `REPLEARN_BACKEND` may say: a backend by name, or `auto` for the best that loads. */
export type BackendChoice = 'auto' | BackendName;

/** Every backend, in the order `auto` prefers them before measuring speed. */
export const backendNames: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'];

/** A backend whose package loaded: the TF.js name to activate and where it came from. */
export interface LoadedBackend {
  /** The name TF.js registered it under (`tensorflow`, `wasm`, `cpu`). */
  tfjsName: string;
  /** The npm package that provides it. */
  packageName: string;
  /** That package's version. */
  version: string;
  /** Activation fails unless TensorFlow finds a usable GPU (set for `tensorflow-gpu`). */
  requiresGpu?: boolean;
}

/** Loads, activates and times backends; injectable so that selection is testable without native packages. */
export interface BackendLoader {
  /** Loads the backend's package; throws an Error whose message says why it is unavailable. */
  load(name: BackendName): Promise<LoadedBackend>;
  /** Makes the loaded backend the active TF.js backend; throws if it cannot initialise. */
  activate(loaded: LoadedBackend): Promise<void>;
  /** Milliseconds per step of a small dense training workload on the backend (lower is faster). */
  measure(loaded: LoadedBackend): Promise<number>;
  /** Extra facts about the active backend (device, threads), for the report. */
  describe(loaded: LoadedBackend): string;
}

/** What happened to one backend during selection. */
export interface BackendAttempt {
  name: BackendName;
  /** `chosen`, `available` (loaded but slower or not needed), `unavailable`, or `skipped`. */
  outcome: 'chosen' | 'available' | 'unavailable' | 'skipped';
  /** Why it was unavailable, slower, or skipped. */
  reason: string;
  packageName?: string;
  version?: string;
  /** Measured milliseconds per probe step, where speed decided. */
  msPerStep?: number;
}

/** The backend that runs everything, and why the better ones do not. */
export interface BackendReport {
  requested: BackendChoice;
  chosen: BackendName;
  tfjsName: string;
  packageName: string;
  version: string;
  detail: string;
  attempts: BackendAttempt[];
}

/** How to get each backend, for error messages. */
export const backendInstallHints: Record<BackendName, string> = {
  'tensorflow-gpu':
    'npm install @tensorflow/tfjs-node-gpu@4.22.0 on Linux x86_64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1; its install step downloads libtensorflow from storage.googleapis.com (see environment.md)',
  tensorflow:
    'npm install @tensorflow/tfjs-node@4.22.0 (Linux x86_64, macOS, Windows); its install step downloads libtensorflow from storage.googleapis.com (see environment.md)',
  native:
    'npm run setup builds replearn\'s native addon where a C++ compiler and OpenBLAS are installed (Debian/Ubuntu: apt-get install g++ libopenblas-dev; macOS: xcode-select --install, brew install openblas); see environment.md',
  wasm: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0 (a dependency of replearn: run npm ci)',
  cpu: 'npm install @tensorflow/tfjs@4.22.0 (a dependency of replearn: run npm ci)',
};

const packages: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  native: 'replearn',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs',
};

function isBackendChoice(value: string): value is BackendChoice {
  return value === 'auto' || (backendNames as readonly string[]).includes(value);
}

/** The backend named by `REPLEARN_BACKEND` (default `auto`); an unknown name is an error. */
export function requestedBackend(env: Record<string, string | undefined> = process.env): BackendChoice {
  const raw = env.REPLEARN_BACKEND;
  if (raw === undefined || raw === '') return 'auto';
  const value = raw.trim().toLowerCase();
  if (!isBackendChoice(value)) {
    throw new Error(`REPLEARN_BACKEND must be one of auto|${backendNames.join('|')}, got "${raw}"`);
  }
  return value;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/** Whether `REPLEARN_NATIVE=0` turns the native backend off (the set-up then builds no addon either). */
function nativeTurnedOff(env: Record<string, string | undefined> = process.env): boolean {
  return env.REPLEARN_NATIVE === '0';
}

/**
 * Picks and activates the backend. A backend asked for by name that cannot load is an error
 * saying why and what to install. `auto` takes tfjs-node-gpu, else tfjs-node, else the fastest
 * (measured) of the rest; with `REPLEARN_NATIVE=0` in `env` it never takes `native`, and asking
 * for `native` by name is an error. A malformed `REPLEARN_NATIVE_THREADS` is an error whatever is asked for.
 */
export async function selectBackend(requested: BackendChoice, loader: BackendLoader, env: Record<string, string | undefined> = process.env): Promise<BackendReport> {
  // Checked before anything loads: failing inside the addon's loading, a typo became "native is
  // unavailable" under auto and "build the addon" under REPLEARN_BACKEND=native.
  nativeThreads(env);
  const nativeOff = nativeTurnedOff(env);
  if (requested === 'native' && nativeOff) {
    throw new Error('REPLEARN_BACKEND=native was asked for, but REPLEARN_NATIVE=0 turns the native backend off: unset REPLEARN_NATIVE, or ask for another backend.');
  }
  const attempts: BackendAttempt[] = [];
  const finish = (name: BackendName, loaded: LoadedBackend, reason: string, msPerStep?: number): BackendReport => {
    attempts.push({ name, outcome: 'chosen', reason, packageName: loaded.packageName, version: loaded.version, msPerStep });
    return { requested, chosen: name, tfjsName: loaded.tfjsName, packageName: loaded.packageName, version: loaded.version, detail: loader.describe(loaded), attempts };
  };

  if (requested !== 'auto') {
    let loaded: LoadedBackend;
    try {
      loaded = await loader.load(requested);
      await loader.activate(loaded);
    } catch (error) {
      throw new Error(
        `REPLEARN_BACKEND=${requested} was asked for but cannot load: ${message(error)}. To get it: ${backendInstallHints[requested]}. ` +
          'Or set REPLEARN_BACKEND=auto to use the best backend that loads.',
      );
    }
    for (const name of backendNames) if (name !== requested) attempts.push({ name, outcome: 'skipped', reason: `REPLEARN_BACKEND=${requested}` });
    return finish(requested, loaded, 'asked for by REPLEARN_BACKEND');
  }

  for (const name of ['tensorflow-gpu', 'tensorflow'] as const) {
    try {
      const loaded = await loader.load(name);
      await loader.activate(loaded);
      for (const rest of backendNames.slice(backendNames.indexOf(name) + 1)) {
        attempts.push({ name: rest, outcome: 'skipped', reason: `${name} loaded first` });
      }
      return finish(name, loaded, 'native TensorFlow loaded');
    } catch (error) {
      attempts.push({ name, outcome: 'unavailable', reason: message(error) });
    }
  }

  const timed: { name: BackendName; loaded: LoadedBackend; ms: number }[] = [];
  for (const name of ['native', 'wasm', 'cpu'] as const) {
    if (name === 'native' && nativeOff) {
      // An addon built before REPLEARN_NATIVE=0 was set is still on disk; the setting wins.
      attempts.push({ name, outcome: 'skipped', reason: 'REPLEARN_NATIVE=0' });
      continue;
    }
    try {
      const loaded = await loader.load(name);
      const ms = await loader.measure(loaded);
      timed.push({ name, loaded, ms });
    } catch (error) {
      attempts.push({ name, outcome: 'unavailable', reason: message(error) });
    }
  }
  if (timed.length === 0) {
    throw new Error(`no TF.js backend could load: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}. Run npm ci.`);
  }
  // A second round in reverse order, for the backends within 3x of the fastest: a burst of load
  // while the first one was measured (a kernel that has just started, Jupyter still busy) once
  // made native look twice as slow as wasm. Each backend keeps its better round.
  const fastest = Math.min(...timed.map((t) => t.ms));
  for (const entry of [...timed].reverse()) {
    if (timed.length < 2 || entry.ms > 3 * fastest) continue;
    try {
      entry.ms = Math.min(entry.ms, await loader.measure(entry.loaded));
    } catch {
      // It measured once already; a failure now leaves that measurement.
    }
  }
  timed.sort((a, b) => a.ms - b.ms);
  const [best, ...slower] = timed;
  await loader.activate(best.loaded);
  for (const other of slower) {
    attempts.push({
      name: other.name,
      outcome: 'available',
      reason: `slower: ${other.ms.toFixed(2)} ms per probe step against ${best.ms.toFixed(2)} ms`,
      packageName: other.loaded.packageName,
      version: other.loaded.version,
      msPerStep: other.ms,
    });
  }
  return finish(best.name, best.loaded, timed.length > 1 ? 'fastest of the backends that loaded' : 'the only backend that loaded', best.ms);
}

/** Whether the active native TensorFlow runs on a GPU; undefined when that cannot be told. */
function usingGpu(): boolean | undefined {
  // tfjs-node's NodeJSKernelBackend keeps the answer as a boolean; its binding has it as a function.
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: unknown; binding?: { isUsingGpuDevice?: () => boolean } };
  if (typeof backend.isUsingGpuDevice === 'boolean') return backend.isUsingGpuDevice;
  return backend.binding?.isUsingGpuDevice?.();
}

/**
 * The cpu backend prints a banner recommending tfjs-node on first use; the backend report already
 * says why tfjs-node is not in use, so the banner is switched off.
 */
function quietCpuBanner(): void {
  const backend = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (backend !== null && backend.firstUse !== undefined) backend.firstUse = false;
}

/**
 * A small training step of both kinds the notebooks run: a dense layer and a convolution with
 * pooling, forward and backward. A dense-only probe ranked wasm within 15% of native, which is
 * 20x faster on convolutions.
 */
async function probeStep(): Promise<void> {
  const result = tf.tidy(() => {
    const x = tf.randomUniform([128, 256], 0, 1, 'float32', 1);
    const w = tf.variable(tf.randomNormal([256, 256], 0, 0.05, 'float32', 2));
    const images = tf.randomUniform([16, 14, 14, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    const filter = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.1, 'float32', 4));
    const { value, grads } = tf.variableGrads(() => {
      const dense = tf.mean(tf.square(tf.relu(tf.matMul(x, w))));
      const conv = tf.mean(tf.square(tf.maxPool(tf.relu(tf.conv2d(images, filter as tf.Tensor4D, 1, 'same')), 2, 2, 'same')));
      return tf.add(dense, conv);
    }, [w, filter]);
    w.dispose();
    filter.dispose();
    return tf.add(value, tf.add(tf.sum(grads[w.name]), tf.sum(grads[filter.name])));
  });
  await result.data();
  result.dispose();
}

/** The loader for real packages: requires them from the project's node_modules. */
export const nodeBackendLoader: BackendLoader = {
  async load(name) {
    if (name === 'native') {
      // The native backend is the wasm backend with the addon's kernels: wasm must load first.
      const wasm = await this.load('wasm');
      const addon = loadNativeAddon();
      await registerNativeBackend(addon);
      const own = readPackageJson(path.join(__dirname, '..', 'package.json'));
      return { tfjsName: nativeBackendName, packageName: 'replearn native addon', version: `${own?.version ?? 'unknown'}, over ${wasm.packageName} ${wasm.version}` };
    }
    let packageName = packages[name];
    let pkg = installedPackage(packageName);
    // On a machine without a usable GPU, tfjs-node-gpu is native TensorFlow on the CPU: it serves
    // `tensorflow` when tfjs-node itself is not installed.
    if (name === 'tensorflow' && pkg?.name !== packageName) {
      const gpuPackage = installedPackage(packages['tensorflow-gpu']);
      if (gpuPackage?.name === packages['tensorflow-gpu']) {
        packageName = gpuPackage.name;
        pkg = gpuPackage;
      }
    }
    if (pkg === null) throw new Error(`${packageName} is not installed`);
    // danfojs-node's dependency on tfjs-node is aliased to plain tfjs, which can sit at the same path.
    if (pkg.name !== packageName) throw new Error(`${packageName} is not installed (node_modules holds ${pkg.name ?? ''} under that name)`);
    const version = pkg.version ?? 'unknown';
    if (name === 'cpu') {
      quietCpuBanner();
      return { tfjsName: 'cpu', packageName, version };
    }
    try {
      require(packageName);
    } catch (error) {
      throw new Error(`${packageName} ${version} is installed but failed to load: ${message(error)}`);
    }
    const tfjsName = name === 'wasm' ? 'wasm' : 'tensorflow';
    if (name === 'wasm') registerWasmKernels();
    if (tf.findBackendFactory(tfjsName) === null) throw new Error(`${packageName} loaded but registered no "${tfjsName}" backend`);
    return { tfjsName, packageName, version, requiresGpu: name === 'tensorflow-gpu' };
  },
  async activate(loaded) {
    const ok = await tf.setBackend(loaded.tfjsName);
    if (!ok) throw new Error(`TF.js could not initialise the "${loaded.tfjsName}" backend`);
    await tf.ready();
    if (loaded.requiresGpu === true && usingGpu() === false) {
      throw new Error(
        `${loaded.packageName} loaded, but TensorFlow found no usable NVIDIA GPU (it needs a driver newer than 450, CUDA 11.2 and cuDNN 8.1 on the library path; see environment.md)`,
      );
    }
  },
  async measure(loaded) {
    await this.activate(loaded);
    for (let i = 0; i < 2; i++) await probeStep();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await probeStep();
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[2];
  },
  describe(loaded) {
    if (loaded.tfjsName === 'tensorflow') {
      const gpu = usingGpu();
      return gpu === undefined ? 'native TensorFlow' : gpu ? 'native TensorFlow on an NVIDIA GPU' : 'native TensorFlow on the CPU (no usable GPU found)';
    }
    if (loaded.tfjsName === nativeBackendName) {
      const addon = loadNativeAddon();
      const threads = addon.threads();
      return `${addon.describe()} on ${threads} thread${threads === 1 ? '' : 's'} for matmul, convolution, pooling, sums and Adam; WebAssembly for the rest`;
    }
    if (loaded.tfjsName === 'wasm') return 'WebAssembly with SIMD, one thread';
    return 'pure JavaScript';
  },
};

let active: Promise<BackendReport> | null = null;
let activeChoice: BackendChoice | null = null;

/** Picks the backend from `REPLEARN_BACKEND` once per process and returns its report. */
export function initBackend(options: { backend?: BackendChoice; loader?: BackendLoader } = {}): Promise<BackendReport> {
  const choice = options.backend ?? requestedBackend();
  if (active !== null && activeChoice === choice && options.loader === undefined) return active;
  activeChoice = choice;
  active = selectBackend(choice, options.loader ?? nodeBackendLoader);
  active.catch(() => {
    active = null;
  });
  return active;
}

const chosenLine = 'backend: ';

/** The report as text: the chosen backend first, then one line per other backend saying why not. */
export function formatBackendReport(report: BackendReport): string {
  const lines = [
    `${chosenLine}${report.chosen} (${report.packageName} ${report.version}; ${report.detail})`,
    `requested: ${report.requested === 'auto' ? 'auto (REPLEARN_BACKEND unset or auto)' : `REPLEARN_BACKEND=${report.requested}`}`,
  ];
  for (const attempt of report.attempts) {
    const speed = attempt.msPerStep === undefined ? '' : ` [${attempt.msPerStep.toFixed(2)} ms/step]`;
    lines.push(`  ${attempt.outcome === 'chosen' ? '*' : '-'} ${attempt.name.padEnd(14)} ${attempt.outcome}: ${attempt.reason}${speed}`);
  }
  return lines.join('\n');
}

/**
 * The chosen backend of the first report that `formatBackendReport` wrote into `text` (a
 * notebook's printed output, say); null when the text holds none.
 */
export function chosenBackendInReport(text: string): BackendName | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(chosenLine)) continue;
    const name = line.slice(chosenLine.length).split(' (')[0];
    if ((backendNames as readonly string[]).includes(name)) return name as BackendName;
  }
  return null;
}
