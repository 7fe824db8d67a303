import * as tf from '@tensorflow/tfjs';
import { nativeKernelTable, type KernelArgs, type NativeKernel, type WasmBackend } from './adapters';
import { registerFusedGradients } from './fused-ops';
import type { NativeAddon } from './signatures';

/** The TF.js name of the native backend. */
export const nativeBackendName = 'native';

/**
 * Wraps a native kernel: when `native` returns null (a case it does not cover) the wasm kernel
 * of the same name runs instead.
 */
function withFallback(name: string, native: NativeKernel): tf.KernelFunc {
  const wasm = tf.getKernel(name, 'wasm');
  return (args) => {
    const result = native(args as KernelArgs, args.backend as unknown as WasmBackend);
    if (result !== null) return result;
    if (wasm === undefined) throw new Error(`replearn native: no ${name} kernel covers this case (and wasm has none)`);
    return wasm.kernelFunc(args);
  };
}

/**
 * Registers the `native` backend (once): the same BackendWasm instance as `wasm` (so tensors
 * need no moving between them and the wasm kernels' bindings stay valid), every wasm kernel, and
 * the addon's kernels (`nativeKernelTable`) over them. The wasm backend must be registered first;
 * this initialises it.
 */
export async function registerNativeBackend(addon: NativeAddon): Promise<void> {
  if (tf.findBackendFactory(nativeBackendName) !== null) return;
  if (tf.findBackendFactory('wasm') === null) throw new Error('replearn native: the wasm backend must be registered first');
  // Initialised here, not inside the native factory: TF.js drops an async initialisation that
  // another one overtakes, and the native factory can then hand out the instance synchronously.
  if (engine().registry.wasm === undefined) {
    const started = engine().initializeBackend('wasm');
    const ok = started.asyncInit ? await started.success : started.success;
    if (!ok || engine().registry.wasm === undefined) throw new Error('replearn native: the wasm backend failed to initialise');
  }
  const replaced = Object.fromEntries(Object.entries(nativeKernelTable).map(([name, make]) => [name, make(addon)]));
  for (const config of tf.getKernelsForBackend('wasm')) {
    const own = replaced[config.kernelName];
    tf.registerKernel({ ...config, backendName: nativeBackendName, kernelFunc: own === undefined ? config.kernelFunc : withFallback(config.kernelName, own) });
  }
  for (const [name, own] of Object.entries(replaced)) {
    if (tf.getKernel(name, nativeBackendName) === undefined) tf.registerKernel({ kernelName: name, backendName: nativeBackendName, kernelFunc: withFallback(name, own) });
  }
  registerFusedGradients();
  tf.registerBackend(nativeBackendName, () => {
    const wasm = engine().registry.wasm;
    if (wasm === undefined) throw new Error('replearn native: the wasm backend is not initialised (registerNativeBackend does that)');
    return wasm;
  });
}

function engine() {
  return tf.engine() as unknown as {
    registry: Record<string, tf.KernelBackend | undefined>;
    initializeBackend(name: string): { success: boolean | Promise<boolean>; asyncInit: boolean };
  };
}
