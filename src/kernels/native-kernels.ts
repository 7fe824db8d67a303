import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/**
 * The `native` backend: the wasm backend's heap and kernels, with the heavy kernels of a training
 * step (matrix products, convolutions and both their gradients, max pooling and its gradient,
 * sums over leading or trailing axes, and a fused Adam update; identities share data instead of copying) run by replearn's Node-API addon on
 * OpenBLAS. The addon reads and writes the wasm heap in place, so no tensor is copied to reach it.
 * Anything the addon does not cover (another dtype, NCHW data, a broadcast it does not handle)
 * falls back to the wasm kernel of the same name.
 */

/** The functions of build/native/replearn_native.node (see src/native/replearn_native.cc). */
export interface NativeAddon {
  gemm(heap: Uint8Array, ...args: number[]): void;
  conv2d(heap: Uint8Array, ...args: number[]): void;
  conv2dBackpropInput(heap: Uint8Array, ...args: number[]): void;
  conv2dBackpropFilter(heap: Uint8Array, ...args: number[]): void;
  maxPool(heap: Uint8Array, ...args: number[]): void;
  maxPoolGrad(heap: Uint8Array, ...args: number[]): void;
  sumRows(heap: Uint8Array, ...args: number[]): void;
  adam(heap: Uint8Array, ...args: number[]): void;
  /** Sets the thread count of OpenBLAS and OpenMP when given; returns the count in use. */
  threads(n?: number): number;
  describe(): string;
}

/** Name of the fused Adam kernel the native backend registers (see Optimizer). */
export const adamKernelName = 'ReplearnAdam';

/** Where setup builds the addon: build/native/ in the package root. */
export function nativeAddonPath(): string {
  return path.join(__dirname, '..', '..', 'build', 'native', 'replearn_native.node');
}

let addon: NativeAddon | null = null;

/** Loads the addon; throws an Error saying why it is unavailable. */
export function loadNativeAddon(): NativeAddon {
  if (addon !== null) return addon;
  const file = nativeAddonPath();
  if (!fs.existsSync(file)) {
    throw new Error(`the native addon is not built (${path.relative(process.cwd(), file) || file} is missing)`);
  }
  // Idle worker threads of OpenMP (and OpenBLAS) spin by default, taking the core that the
  // JavaScript half of a training step needs: measured here, 2 threads then ran a step at half
  // the speed of 1. Both libraries read these when the addon loads; a user's own setting wins.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
  let loaded: NativeAddon;
  try {
    loaded = require(file) as NativeAddon;
  } catch (error) {
    throw new Error(`the native addon at ${file} failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  loaded.threads(nativeThreads());
  addon = loaded;
  return addon;
}

/**
 * Threads for the addon's large products and loops: `REPLEARN_NATIVE_THREADS`, default the
 * number of cores up to 4. Products under 100 MFLOP (a dense layer at batch 128) always run on
 * one thread, where waking another costs more than it saves.
 */
export function nativeThreads(env: Record<string, string | undefined> = process.env, cores = os.availableParallelism?.() ?? os.cpus().length): number {
  const raw = env.REPLEARN_NATIVE_THREADS;
  if (raw === undefined || raw.trim() === '') return Math.max(1, Math.min(4, cores));
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || n < 1) {
    throw new Error(`REPLEARN_NATIVE_THREADS must be a positive integer, got "${raw}" (the threads of the native backend, e.g. REPLEARN_NATIVE_THREADS=2; unset it for the default)`);
  }
  return n;
}

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The parts of tfjs-backend-wasm's BackendWasm the native kernels use. */
interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

const activationCodes: Record<string, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, leakyrelu: 4, elu: 5 };

/** Element (float) offset of a tensor on the wasm heap. */
function offsetOf(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('replearn native: a tensor is not on the wasm heap');
  if (data.memoryOffset % 4 !== 0) throw new Error(`replearn native: tensor at byte ${data.memoryOffset} is not 4-byte aligned`);
  return data.memoryOffset / 4;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const allFloat = (...infos: (TensorInfo | undefined)[]) => infos.every((i) => i === undefined || i.dtype === 'float32');

/** A bias the native epilogue can add: one value, or one per output column (leading dims all 1). */
function biasLength(bias: TensorInfo | undefined, columns: number): number | null {
  if (bias === undefined) return 0;
  const n = size(bias.shape);
  if (n === 1) return 1;
  if (n === columns && bias.shape[bias.shape.length - 1] === columns) return columns;
  return null;
}

/**
 * Wraps a native kernel: when `native` returns null (a case it does not cover) the wasm kernel
 * of the same name runs instead.
 */
function withFallback(name: string, native: (args: KernelArgs, backend: WasmBackend) => TensorInfo | TensorInfo[] | null): tf.KernelFunc {
  const wasm = tf.getKernel(name, 'wasm');
  return (args) => {
    const result = native(args as KernelArgs, args.backend as unknown as WasmBackend);
    if (result !== null) return result;
    if (wasm === undefined) throw new Error(`replearn native: no ${name} kernel covers this case (and wasm has none)`);
    return wasm.kernelFunc(args);
  };
}

/**
 * Identity shares the input's data (one more reference) as the cpu backend does; wasm 4.22 copies
 * it, and a training step's gradients ask for dozens of identities of activation-sized tensors.
 */
function identity({ inputs }: KernelArgs, backend: WasmBackend): TensorInfo | null {
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

function matMul(addon: NativeAddon, fused: boolean) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined> as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const { transposeA = false, transposeB = false, activation = 'linear', leakyreluAlpha = 0.2 } = (attrs ?? {}) as {
      transposeA?: boolean;
      transposeB?: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    if (!allFloat(a, b, bias) || preluActivationWeights !== undefined || !(activation in activationCodes)) return null;
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (ra < 2 || rb < 2) return null;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) {
      throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
    }
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = size(outerA);
    const batchB = size(outerB);
    // One operand may broadcast as a whole (batch 1); other broadcasts go to wasm.
    let outer: number[];
    if (batchA === batchB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
    else if (batchB === 1) outer = outerA.length >= outerB.length ? outerA : tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    else if (batchA === 1) outer = outerB.length >= outerA.length ? outerB : tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    else return null;
    const batch = Math.max(batchA, batchB);
    if (size(outer) !== batch) return null;
    const biasLen = fused ? biasLength(bias, n) : 0;
    if (biasLen === null) return null;
    const out = backend.makeOutput([...outer, m, n], 'float32');
    addon.gemm(
      backend.wasm.HEAPU8,
      batch,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      m,
      n,
      k,
      offsetOf(backend, a),
      batchA === 1 ? 0 : m * k,
      offsetOf(backend, b),
      batchB === 1 ? 0 : k * n,
      offsetOf(backend, out),
      bias === undefined ? -1 : offsetOf(backend, bias),
      biasLen,
      fused ? activationCodes[activation] : 0,
      leakyreluAlpha,
    );
    return out;
  };
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** The 15 numbers of the addon's convolution shape, in its order. */
function convFields(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

const channelsLast = (a: ConvAttrs) => a.dataFormat === undefined || a.dataFormat === 'NHWC';

function conv2d(addon: NativeAddon, fused: boolean) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { x, filter, bias, preluActivationWeights } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const a = (attrs ?? {}) as unknown as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
    const activation = a.activation ?? 'linear';
    if (!allFloat(x, filter, bias) || preluActivationWeights !== undefined || !channelsLast(a) || !(activation in activationCodes)) return null;
    if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations ?? 1,
      a.pad as never,
      a.dimRoundingMode,
    );
    const biasLen = fused ? biasLength(bias, info.outChannels) : 0;
    if (biasLen === null) return null;
    const out = backend.makeOutput(info.outShape, 'float32');
    addon.conv2d(
      backend.wasm.HEAPU8,
      offsetOf(backend, x),
      offsetOf(backend, filter),
      offsetOf(backend, out),
      bias === undefined ? -1 : offsetOf(backend, bias),
      biasLen,
      fused ? activationCodes[activation] : 0,
      a.leakyreluAlpha ?? 0.2,
      ...convFields(info),
    );
    return out;
  };
}

function conv2dBackpropInput(addon: NativeAddon) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = (attrs ?? {}) as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    if (!allFloat(dy, filter) || !channelsLast(a) || dy.shape.length !== 4 || filter.shape.length !== 4) return null;
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad as never, a.dimRoundingMode);
    if (info.outShape.some((d, i) => d !== dy.shape[i])) {
      throw new Error(`Conv2DBackpropInput: dy has shape [${dy.shape.join(', ')}], the convolution gives [${info.outShape.join(', ')}]`);
    }
    const out = backend.makeOutput([...a.inputShape], 'float32');
    addon.conv2dBackpropInput(backend.wasm.HEAPU8, offsetOf(backend, dy), offsetOf(backend, filter), offsetOf(backend, out), ...convFields(info));
    return out;
  };
}

function conv2dBackpropFilter(addon: NativeAddon) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = (attrs ?? {}) as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    if (!allFloat(x, dy) || !channelsLast(a) || x.shape.length !== 4 || dy.shape.length !== 4) return null;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad as never, a.dimRoundingMode);
    if (info.outShape.some((d, i) => d !== dy.shape[i])) {
      throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape.join(', ')}], the convolution gives [${info.outShape.join(', ')}]`);
    }
    const out = backend.makeOutput([...a.filterShape], 'float32');
    addon.conv2dBackpropFilter(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), ...convFields(info));
    return out;
  };
}

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function poolFields(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

function maxPool(addon: NativeAddon) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { x } = inputs as { x: TensorInfo };
    const a = (attrs ?? {}) as unknown as PoolAttrs;
    if (!allFloat(x) || x.shape.length !== 4) return null;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as never, a.dimRoundingMode);
    const out = backend.makeOutput(info.outShape, 'float32');
    addon.maxPool(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), ...poolFields(info));
    return out;
  };
}

function maxPoolGrad(addon: NativeAddon) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = (attrs ?? {}) as unknown as PoolAttrs;
    if (!allFloat(dy, input) || input.shape.length !== 4) return null;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as never, a.dimRoundingMode);
    if (info.outShape.some((d, i) => d !== dy.shape[i])) {
      throw new Error(`MaxPoolGrad: dy has shape [${dy.shape.join(', ')}], the pool gives [${info.outShape.join(', ')}]`);
    }
    const out = backend.makeOutput([...input.shape], 'float32');
    addon.maxPoolGrad(backend.wasm.HEAPU8, offsetOf(backend, dy), offsetOf(backend, input), offsetOf(backend, out), ...poolFields(info));
    return out;
  };
}

function sum(addon: NativeAddon) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo | null => {
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims = false } = (attrs ?? {}) as { axis: number | number[]; keepDims?: boolean };
    if (!allFloat(x)) return null;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    if (axes.length === 0 || new Set(axes).size !== axes.length) return null;
    const leading = axes.every((ax, i) => ax === i);
    const trailing = axes.every((ax, i) => ax === rank - axes.length + i);
    if (!leading && !trailing) return null;
    const reduced = size(axes.map((ax) => x.shape[ax]));
    const kept = size(x.shape) / Math.max(reduced, 1);
    if (reduced === 0) return null;
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = backend.makeOutput(keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32');
    if (kept > 0) {
      addon.sumRows(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), leading ? reduced : kept, leading ? kept : reduced, leading ? 1 : 0);
    }
    return out;
  };
}

function adam(addon: NativeAddon) {
  return ({ inputs, attrs }: KernelArgs, backend: WasmBackend): TensorInfo[] => {
    const { variable, m, v, gradient } = inputs as Record<string, TensorInfo>;
    const { rate, beta1, beta2, epsilon } = (attrs ?? {}) as Record<string, number>;
    const n = size(variable.shape);
    for (const [name, t] of Object.entries({ m, v, gradient })) {
      if (t.dtype !== 'float32' || size(t.shape) !== n) throw new Error(`${adamKernelName}: ${name} must be float32 with ${n} elements, like the variable`);
    }
    const outs = [variable, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
    addon.adam(
      backend.wasm.HEAPU8,
      ...[variable, m, v, gradient, ...outs].map((t) => offsetOf(backend, t)),
      n,
      rate,
      beta1,
      beta2,
      epsilon,
    );
    return outs;
  };
}

export const nativeBackendName = 'native';

/** Kernels the addon replaces, by TF.js kernel name. */
function nativeKernels(addon: NativeAddon): Record<string, (args: KernelArgs, backend: WasmBackend) => TensorInfo | TensorInfo[] | null> {
  return {
    Identity: identity,
    BatchMatMul: matMul(addon, false),
    _FusedMatMul: matMul(addon, true),
    Conv2D: conv2d(addon, false),
    FusedConv2D: conv2d(addon, true),
    Conv2DBackpropInput: conv2dBackpropInput(addon),
    Conv2DBackpropFilter: conv2dBackpropFilter(addon),
    MaxPool: maxPool(addon),
    MaxPoolGrad: maxPoolGrad(addon),
    Sum: sum(addon),
  };
}

/** Names of the kernels the native backend runs in the addon (the rest are wasm's). */
export const nativeKernelNames = ['Identity', 'BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'Sum', adamKernelName];

/**
 * Registers the `native` backend (once): the same BackendWasm instance as `wasm` (so tensors
 * need no moving between them and the wasm kernels' bindings stay valid), every wasm kernel, and
 * the addon's kernels over them. The wasm backend must be registered first; this initialises it.
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
  const replaced = nativeKernels(addon);
  for (const config of tf.getKernelsForBackend('wasm')) {
    const own = replaced[config.kernelName];
    tf.registerKernel({ ...config, backendName: nativeBackendName, kernelFunc: own === undefined ? config.kernelFunc : withFallback(config.kernelName, own) });
  }
  for (const [name, own] of Object.entries(replaced)) {
    if (tf.getKernel(name, nativeBackendName) === undefined) tf.registerKernel({ kernelName: name, backendName: nativeBackendName, kernelFunc: withFallback(name, own) });
  }
  const fusedAdam = adam(addon);
  tf.registerKernel({ kernelName: adamKernelName, backendName: nativeBackendName, kernelFunc: (args) => fusedAdam(args as KernelArgs, args.backend as unknown as WasmBackend) });
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
