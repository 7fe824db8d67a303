import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendNames, chosenBackendInReport, formatBackendReport, requestedBackend, selectBackend } from '../src/backend';
import type { BackendChoice, BackendLoader, BackendName, LoadedBackend } from '../src/backend';
import { nativeThreads } from '../src/kernels/native/load';

const tfjsNames: Record<BackendName, string> = { 'tensorflow-gpu': 'tensorflow', tensorflow: 'tensorflow', native: 'native', wasm: 'wasm', cpu: 'cpu' };

/** A loader whose backends load (with a time per step) or fail (with a reason), recording what was activated. */
function fakeLoader(
  available: Partial<Record<BackendName, number>>,
  failing: Partial<Record<BackendName, string>> = {},
  activationFails: Partial<Record<string, string>> = {},
) {
  const activated: string[] = [];
  const loader: BackendLoader = {
    async load(name) {
      if (failing[name] !== undefined) throw new Error(failing[name]);
      if (available[name] === undefined) throw new Error(`${name} is not installed`);
      return { tfjsName: tfjsNames[name], packageName: `pkg-${name}`, version: '1.0.0' };
    },
    async activate(loaded: LoadedBackend) {
      const failure = activationFails[loaded.packageName];
      if (failure !== undefined) throw new Error(failure);
      activated.push(loaded.packageName);
    },
    async measure(loaded: LoadedBackend) {
      const name = loaded.packageName.replace('pkg-', '') as BackendName;
      return available[name] ?? Infinity;
    },
    describe: () => 'fake',
  };
  return { loader, activated };
}

/** selectBackend with an environment of its own (none by default), whatever the test runner's is. */
function select(requested: BackendChoice, loader: BackendLoader, env: Record<string, string> = {}) {
  return selectBackend(requested, loader, env);
}

describe('selectBackend', () => {
  it('auto prefers tfjs-node-gpu when it loads, and says the rest were skipped', async () => {
    const { loader, activated } = fakeLoader({ 'tensorflow-gpu': 1, tensorflow: 1, native: 1, wasm: 1, cpu: 1 });
    const report = await select('auto', loader);
    assert.equal(report.chosen, 'tensorflow-gpu');
    assert.deepEqual(activated, ['pkg-tensorflow-gpu']);
    assert.deepEqual(
      report.attempts.map((a) => [a.name, a.outcome]),
      [['tensorflow', 'skipped'], ['native', 'skipped'], ['wasm', 'skipped'], ['cpu', 'skipped'], ['tensorflow-gpu', 'chosen']],
    );
  });

  it('auto falls back to tfjs-node and reports why the GPU package was unavailable', async () => {
    const { loader } = fakeLoader({ tensorflow: 5, wasm: 1, cpu: 1 }, { 'tensorflow-gpu': 'libcudart.so.11.0: cannot open shared object file' });
    const report = await select('auto', loader);
    assert.equal(report.chosen, 'tensorflow');
    const gpu = report.attempts.find((a) => a.name === 'tensorflow-gpu');
    assert.equal(gpu?.outcome, 'unavailable');
    assert.match(gpu?.reason ?? '', /libcudart/);
  });

  it('auto measures the native addon against wasm and cpu and takes whichever is fastest', async () => {
    const fastNative = fakeLoader({ native: 3, wasm: 9, cpu: 200 });
    const report = await select('auto', fastNative.loader);
    assert.equal(report.chosen, 'native');
    assert.match(report.attempts.find((a) => a.name === 'wasm')?.reason ?? '', /slower: 9\.00 ms per probe step against 3\.00 ms/);
    const slowNative = fakeLoader({ native: 12, wasm: 9, cpu: 200 });
    const second = await select('auto', slowNative.loader);
    assert.equal(second.chosen, 'wasm');
    assert.equal(second.attempts.find((a) => a.name === 'native')?.outcome, 'available');
    const unbuilt = fakeLoader({ wasm: 9, cpu: 200 }, { native: 'the native addon is not built' });
    const third = await select('auto', unbuilt.loader);
    assert.equal(third.chosen, 'wasm');
    assert.equal(third.attempts.find((a) => a.name === 'native')?.reason, 'the native addon is not built');
  });

  it('auto measures the close contenders a second time in reverse order, so a burst of load on the first probe does not decide', async () => {
    // native's first probe runs while the machine is busy (21 ms), its second does not (5 ms).
    const times: Record<string, number[]> = { native: [21, 5], wasm: [9, 9], cpu: [280, 280] };
    const calls: string[] = [];
    const { loader } = fakeLoader({ native: 1, wasm: 1, cpu: 1 });
    loader.measure = async (loaded) => {
      const name = loaded.packageName.replace('pkg-', '');
      calls.push(name);
      return times[name].shift() ?? Infinity;
    };
    const report = await select('auto', loader);
    assert.equal(report.chosen, 'native');
    assert.deepEqual(calls, ['native', 'wasm', 'cpu', 'wasm', 'native'], 'cpu, 30x slower, is not measured again');
    assert.match(report.attempts.find((a) => a.name === 'wasm')?.reason ?? '', /slower: 9\.00 ms per probe step against 5\.00 ms/);
  });

  it('auto picks the fastest of the remaining backends by measurement, not by name', async () => {
    const slowWasm = fakeLoader({ wasm: 30, cpu: 10 });
    const report = await select('auto', slowWasm.loader);
    assert.equal(report.chosen, 'cpu');
    assert.deepEqual(slowWasm.activated, ['pkg-cpu']);
    const wasm = report.attempts.find((a) => a.name === 'wasm');
    assert.equal(wasm?.outcome, 'available');
    assert.match(wasm?.reason ?? '', /slower: 30\.00 ms per probe step against 10\.00 ms/);

    const fastWasm = fakeLoader({ wasm: 2, cpu: 10 });
    assert.equal((await select('auto', fastWasm.loader)).chosen, 'wasm');
  });

  it('auto uses the only backend that loads', async () => {
    const { loader } = fakeLoader({ cpu: 10 }, { wasm: 'wasm binary missing' });
    const report = await select('auto', loader);
    assert.equal(report.chosen, 'cpu');
    assert.equal(report.attempts.find((a) => a.name === 'wasm')?.reason, 'wasm binary missing');
  });

  it('auto with nothing loadable is an error that lists every reason', async () => {
    const { loader } = fakeLoader({});
    await assert.rejects(select('auto', loader), /no TF\.js backend could load: tensorflow-gpu: tensorflow-gpu is not installed;.*cpu: cpu is not installed/);
  });

  it('a backend asked for by name that cannot load is an error naming why and what to install', async () => {
    const { loader } = fakeLoader({ cpu: 1, wasm: 1 }, { 'tensorflow-gpu': 'libcudnn.so.8: cannot open shared object file' });
    await assert.rejects(
      select('tensorflow-gpu', loader),
      (error: Error) =>
        /REPLEARN_BACKEND=tensorflow-gpu was asked for but cannot load: libcudnn\.so\.8/.test(error.message) &&
        /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/.test(error.message) &&
        /CUDA 11\.2 and cuDNN 8\.1/.test(error.message),
    );
  });

  it('a GPU package that loads but finds no GPU is unavailable to auto, and an error when named', async () => {
    const noGpu = { 'pkg-tensorflow-gpu': 'TensorFlow found no usable NVIDIA GPU' };
    const auto = await select('auto', fakeLoader({ 'tensorflow-gpu': 1, tensorflow: 5, wasm: 10 }, {}, noGpu).loader);
    assert.equal(auto.chosen, 'tensorflow');
    assert.deepEqual(auto.attempts[0], { name: 'tensorflow-gpu', outcome: 'unavailable', reason: 'TensorFlow found no usable NVIDIA GPU' });
    await assert.rejects(
      select('tensorflow-gpu', fakeLoader({ 'tensorflow-gpu': 1 }, {}, noGpu).loader),
      /REPLEARN_BACKEND=tensorflow-gpu was asked for but cannot load: TensorFlow found no usable NVIDIA GPU/,
    );
  });

  it('a backend asked for by name is used even when a faster one exists', async () => {
    const { loader, activated } = fakeLoader({ 'tensorflow-gpu': 1, cpu: 100 });
    const report = await select('cpu', loader);
    assert.equal(report.chosen, 'cpu');
    assert.deepEqual(activated, ['pkg-cpu']);
    assert.ok(report.attempts.filter((a) => a.outcome === 'skipped').every((a) => a.reason === 'REPLEARN_BACKEND=cpu'));
  });

  it('formats a report with the chosen backend first and one line per other backend', async () => {
    const { loader } = fakeLoader({ wasm: 2, cpu: 10 });
    const text = formatBackendReport(await select('auto', loader));
    const lines = text.split('\n');
    assert.match(lines[0], /^backend: wasm \(pkg-wasm 1\.0\.0; fake\)$/);
    assert.match(text, /- tensorflow-gpu unavailable: tensorflow-gpu is not installed/);
    assert.match(text, /\* wasm +chosen: fastest of the backends that loaded \[2\.00 ms\/step\]/);
  });

  it('reads the chosen backend back from printed text holding a report (what the notebook runner reports)', async () => {
    for (const name of backendNames) {
      const { loader } = fakeLoader({ [name]: 1 });
      const printed = `profile: smoke\n${formatBackendReport(await select(name, loader))}\nprofile: smoke (REPLEARN_PROFILE)\n`;
      assert.equal(chosenBackendInReport(printed), name);
    }
    assert.equal(chosenBackendInReport('training...\nbackend: gpu (not a backend name)\n'), null);
    assert.equal(chosenBackendInReport('no report here'), null);
  });
});

describe('requestedBackend', () => {
  it('defaults to auto and accepts each name in any case', () => {
    assert.equal(requestedBackend({}), 'auto');
    assert.equal(requestedBackend({ REPLEARN_BACKEND: '' }), 'auto');
    assert.equal(requestedBackend({ REPLEARN_BACKEND: 'WASM' }), 'wasm');
    assert.equal(requestedBackend({ REPLEARN_BACKEND: 'tensorflow-gpu' }), 'tensorflow-gpu');
  });

  it('rejects an unknown name, listing the allowed ones', () => {
    assert.throws(() => requestedBackend({ REPLEARN_BACKEND: 'webgl' }), /REPLEARN_BACKEND must be one of auto\|tensorflow-gpu\|tensorflow\|native\|wasm\|cpu, got "webgl"/);
  });
});

describe('REPLEARN_NATIVE and REPLEARN_NATIVE_THREADS', () => {
  it('REPLEARN_NATIVE=0: auto never picks native, even where an addon built earlier loads and is fastest', async () => {
    const { loader, activated } = fakeLoader({ native: 1, wasm: 9, cpu: 200 });
    const loads: string[] = [];
    const load = loader.load.bind(loader);
    loader.load = async (name) => {
      loads.push(name);
      return load(name);
    };
    const report = await select('auto', loader, { REPLEARN_NATIVE: '0' });
    assert.equal(report.chosen, 'wasm');
    assert.ok(!loads.includes('native') && !activated.includes('pkg-native'), `native was loaded: ${loads.join(', ')}`);
    assert.deepEqual(report.attempts.find((a) => a.name === 'native'), { name: 'native', outcome: 'skipped', reason: 'REPLEARN_NATIVE=0' });
    // Only 0 turns it off, as in scripts/build-native.mjs.
    assert.equal((await select('auto', fakeLoader({ native: 1, wasm: 9 }).loader, { REPLEARN_NATIVE: '1' })).chosen, 'native');
  });

  it('REPLEARN_NATIVE=0 with REPLEARN_BACKEND=native is an error naming both', async () => {
    await assert.rejects(
      select('native', fakeLoader({ native: 1 }).loader, { REPLEARN_NATIVE: '0' }),
      /^Error: REPLEARN_BACKEND=native was asked for, but REPLEARN_NATIVE=0 turns the native backend off: unset REPLEARN_NATIVE, or ask for another backend\.$/,
    );
    assert.equal((await select('wasm', fakeLoader({ wasm: 1 }).loader, { REPLEARN_NATIVE: '0' })).chosen, 'wasm');
  });

  it('a malformed REPLEARN_NATIVE_THREADS is an error naming the variable, the form and the value, not a reason to rebuild the addon', async () => {
    for (const value of ['abc', '0', '-2', '2.5', '0x2', '1e1']) {
      const env = { REPLEARN_NATIVE_THREADS: value };
      // The real loader reads the variable while it loads the addon.
      const { loader } = fakeLoader({ native: 1, wasm: 9, cpu: 200 });
      const load = loader.load.bind(loader);
      loader.load = async (name) => {
        if (name === 'native') nativeThreads(env);
        return load(name);
      };
      for (const requested of ['native', 'auto', 'cpu'] as const) {
        await assert.rejects(select(requested, loader, env), (error: Error) => {
          assert.equal(
            error.message,
            `REPLEARN_NATIVE_THREADS must be a positive integer, got "${value}" (the threads of the native backend, e.g. REPLEARN_NATIVE_THREADS=2; unset it for the default)`,
            `REPLEARN_BACKEND=${requested}, REPLEARN_NATIVE_THREADS=${value}`,
          );
          return true;
        });
      }
    }
    const fine = await select('native', fakeLoader({ native: 1 }).loader, { REPLEARN_NATIVE_THREADS: ' 3 ' });
    assert.equal(fine.chosen, 'native');
  });
});
