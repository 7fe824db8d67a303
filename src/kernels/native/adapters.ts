import * as tf from '@tensorflow/tfjs';
import { isNativeActivation, type ConvShapeParams, type NativeAddon, type PoolShapeParams } from './signatures';

/**
 * The TF.js kernel functions of the `native` backend: each reads a kernel's inputs and attributes,
 * allocates its outputs on the wasm heap and calls the addon there, so no tensor is copied to reach
 * it. One that returns null does not cover the case (another dtype, NCHW data, a broadcast it does
 * not handle); registration then runs the wasm kernel of the same name instead.
 */

export type TensorInfo = tf.TensorInfo;

/** What TF.js passes a kernel function. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The parts of tfjs-backend-wasm's BackendWasm the native kernels use. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
  refCount(dataId: object): number;
}

/** A native kernel function: its outputs, or null where the wasm kernel must run instead. */
export type NativeKernel = (args: KernelArgs, backend: WasmBackend) => TensorInfo | TensorInfo[] | null;

/** Name of the fused Adam kernel the native backend registers (see Optimizer). */
export const adamKernelName = 'ReplearnAdam';

/**
 * Name of the kernel that runs Adam on many variables in one call, writing the variables and their
 * moments in place (see `nativeAdam`): inputs `variable<i>`, `m<i>`, `v<i>`, `gradient<i>` for
 * i = 0..count-1, attributes `rates` (one per variable), `beta1`, `beta2`, `epsilon`; no outputs.
 */
export const adamInPlaceKernelName = 'ReplearnAdamInPlace';

/** Name of the dense-layer kernel (x W + b, then linear or ReLU) whose gradient is `reluBiasGradKernelName` and two products. */
export const denseKernelName = 'ReplearnDense';

/** Name of the convolution-layer kernel (conv2d 'same' or 'valid', NHWC, + bias, then linear or ReLU). */
export const convKernelName = 'ReplearnConv2d';

/** Name of the kernel adding a bias over the last axis and applying linear or ReLU. */
export const biasActivationKernelName = 'ReplearnBiasActivation';

/** Name of the kernel giving a ReLU dense layer's masked gradient and its bias gradient in one pass. */
export const reluBiasGradKernelName = 'ReplearnReluBiasGrad';

/** Name of the binary cross-entropy-with-logits kernel (one sum per row) and of its gradient. */
export const bceKernelName = 'ReplearnBce';
export const bceGradKernelName = 'ReplearnBceGrad';

/** Names of the Gaussian kernels of a VAE: the closed-form KL to N(0, I) per row, the reparameterised sample, and their gradients. */
export const gaussianKlKernelName = 'ReplearnGaussianKl';
export const gaussianKlGradKernelName = 'ReplearnGaussianKlGrad';
export const reparameterizeKernelName = 'ReplearnReparameterize';
export const reparameterizeGradKernelName = 'ReplearnReparameterizeGrad';

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
 * Identity shares the input's data (one more reference) as the cpu backend does; wasm 4.22 copies
 * it, and a training step's gradients ask for dozens of identities of activation-sized tensors.
 */
function identity({ inputs }: KernelArgs, backend: WasmBackend): TensorInfo | null {
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

function matMul(addon: NativeAddon, fused: boolean): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined> as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const { transposeA = false, transposeB = false, activation = 'linear', leakyreluAlpha = 0.2 } = (attrs ?? {}) as {
      transposeA?: boolean;
      transposeB?: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    if (!allFloat(a, b, bias) || preluActivationWeights !== undefined || !isNativeActivation(activation)) return null;
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
    addon.gemm(backend.wasm.HEAPU8, {
      batch,
      transposeA,
      transposeB,
      m,
      n,
      k,
      aOffset: offsetOf(backend, a),
      aBatchStride: batchA === 1 ? 0 : m * k,
      bOffset: offsetOf(backend, b),
      bBatchStride: batchB === 1 ? 0 : k * n,
      outOffset: offsetOf(backend, out),
      biasOffset: bias === undefined ? -1 : offsetOf(backend, bias),
      biasLength: biasLen,
      activation: fused ? activation : 'linear',
      leakyreluAlpha,
    });
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

/** The addon's convolution shape fields from TF.js's own shape computation. */
function convShape(info: tf.backend_util.Conv2DInfo): ConvShapeParams {
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    outChannels: info.outChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Throws unless the gradient `dy` has the shape the forward op gives (`info.outShape`), naming `kernel` and `op`. */
function checkDyShape(kernel: string, op: string, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): void {
  if (info.outShape.some((d, i) => d !== dy.shape[i])) {
    throw new Error(`${kernel}: dy has shape [${dy.shape.join(', ')}], the ${op} gives [${info.outShape.join(', ')}]`);
  }
}

const channelsLast = (a: ConvAttrs) => a.dataFormat === undefined || a.dataFormat === 'NHWC';

function conv2d(addon: NativeAddon, fused: boolean): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { x, filter, bias, preluActivationWeights } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const a = (attrs ?? {}) as unknown as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
    const activation = a.activation ?? 'linear';
    if (!allFloat(x, filter, bias) || preluActivationWeights !== undefined || !channelsLast(a) || !isNativeActivation(activation)) return null;
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
    addon.conv2d(backend.wasm.HEAPU8, {
      xOffset: offsetOf(backend, x),
      filterOffset: offsetOf(backend, filter),
      outOffset: offsetOf(backend, out),
      biasOffset: bias === undefined ? -1 : offsetOf(backend, bias),
      biasLength: biasLen,
      activation: fused ? activation : 'linear',
      leakyreluAlpha: a.leakyreluAlpha ?? 0.2,
      ...convShape(info),
    });
    return out;
  };
}

function conv2dBackpropInput(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = (attrs ?? {}) as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    if (!allFloat(dy, filter) || !channelsLast(a) || dy.shape.length !== 4 || filter.shape.length !== 4) return null;
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad as never, a.dimRoundingMode);
    checkDyShape('Conv2DBackpropInput', 'convolution', dy, info);
    const out = backend.makeOutput([...a.inputShape], 'float32');
    addon.conv2dBackpropInput(backend.wasm.HEAPU8, {
      dyOffset: offsetOf(backend, dy),
      filterOffset: offsetOf(backend, filter),
      dxOffset: offsetOf(backend, out),
      ...convShape(info),
    });
    return out;
  };
}

function conv2dBackpropFilter(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = (attrs ?? {}) as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    if (!allFloat(x, dy) || !channelsLast(a) || x.shape.length !== 4 || dy.shape.length !== 4) return null;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad as never, a.dimRoundingMode);
    checkDyShape('Conv2DBackpropFilter', 'convolution', dy, info);
    const out = backend.makeOutput([...a.filterShape], 'float32');
    addon.conv2dBackpropFilter(backend.wasm.HEAPU8, {
      xOffset: offsetOf(backend, x),
      dyOffset: offsetOf(backend, dy),
      dFilterOffset: offsetOf(backend, out),
      ...convShape(info),
    });
    return out;
  };
}

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** The addon's pooling shape fields: a convolution's, less its output channels and dilations. */
function poolShape(info: tf.backend_util.Conv2DInfo): PoolShapeParams {
  const { outChannels, dilationHeight, dilationWidth, ...pool } = convShape(info);
  return pool;
}

function maxPool(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: TensorInfo };
    const a = (attrs ?? {}) as unknown as PoolAttrs;
    if (!allFloat(x) || x.shape.length !== 4) return null;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as never, a.dimRoundingMode);
    const out = backend.makeOutput(info.outShape, 'float32');
    addon.maxPool(backend.wasm.HEAPU8, { xOffset: offsetOf(backend, x), outOffset: offsetOf(backend, out), ...poolShape(info) });
    return out;
  };
}

function maxPoolGrad(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = (attrs ?? {}) as unknown as PoolAttrs;
    if (!allFloat(dy, input) || input.shape.length !== 4) return null;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as never, a.dimRoundingMode);
    checkDyShape('MaxPoolGrad', 'pool', dy, info);
    const out = backend.makeOutput([...input.shape], 'float32');
    addon.maxPoolGrad(backend.wasm.HEAPU8, { dyOffset: offsetOf(backend, dy), xOffset: offsetOf(backend, input), dxOffset: offsetOf(backend, out), ...poolShape(info) });
    return out;
  };
}

function sum(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
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
      addon.sumRows(backend.wasm.HEAPU8, {
        xOffset: offsetOf(backend, x),
        outOffset: offsetOf(backend, out),
        outer: leading ? reduced : kept,
        inner: leading ? kept : reduced,
        leading,
      });
    }
    return out;
  };
}

/** Adam's constants, as both Adam kernels take them. */
type AdamAttrs = { beta1: number; beta2: number; epsilon: number };

/**
 * One Adam step of `n` elements on the heap, from the variable, m, v and gradient at `from` into
 * the variable, m and v at `to` (the same offsets as `from` for an update in place).
 */
function adamStep(addon: NativeAddon, backend: WasmBackend, from: number[], to: number[], n: number, rate: number, { beta1, beta2, epsilon }: AdamAttrs): void {
  const [variableOffset, mOffset, vOffset, gradientOffset] = from;
  const [newVariableOffset, newMOffset, newVOffset] = to;
  addon.adam(backend.wasm.HEAPU8, { variableOffset, mOffset, vOffset, gradientOffset, newVariableOffset, newMOffset, newVOffset, size: n, rate, beta1, beta2, epsilon });
}

function adam(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { variable, m, v, gradient } = inputs as Record<string, TensorInfo>;
    const { rate, ...constants } = (attrs ?? {}) as { rate: number } & AdamAttrs;
    const n = size(variable.shape);
    for (const [name, t] of Object.entries({ m, v, gradient })) {
      if (t.dtype !== 'float32' || size(t.shape) !== n) throw new Error(`${adamKernelName}: ${name} must be float32 with ${n} elements, like the variable`);
    }
    const outputs = [variable, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
    const offsets = (ts: TensorInfo[]) => ts.map((t) => offsetOf(backend, t));
    adamStep(addon, backend, offsets([variable, m, v, gradient]), offsets(outputs), n, rate, constants);
    return outputs;
  };
}

function adamInPlace(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { rates, ...constants } = (attrs ?? {}) as { rates?: number[] } & AdamAttrs;
    if (!Array.isArray(rates)) throw new Error(`${adamInPlaceKernelName}: the attribute rates must be an array, one rate per variable`);
    const named = inputs as Record<string, TensorInfo | undefined>;
    // Everything is checked before anything is written: a refused call changes nothing.
    const updates = rates.map((rate, i) => {
      const [variable, m, v, gradient] = ['variable', 'm', 'v', 'gradient'].map((name) => {
        const t = named[`${name}${i}`];
        if (t === undefined) throw new Error(`${adamInPlaceKernelName}: input ${name}${i} is missing (${rates.length} rates given)`);
        return t;
      });
      const n = size(variable.shape);
      for (const [name, t] of Object.entries({ variable, m, v, gradient })) {
        if (t.dtype !== 'float32' || size(t.shape) !== n) throw new Error(`${adamInPlaceKernelName}: ${name}${i} must be float32 with ${n} elements, like variable${i}`);
      }
      for (const [name, t] of Object.entries({ variable, m, v })) {
        if (backend.refCount(t.dataId) !== 1) throw new Error(`${adamInPlaceKernelName}: ${name}${i} shares its data with another tensor, so it cannot be written in place`);
      }
      return { n, rate, offsets: [variable, m, v, gradient].map((t) => offsetOf(backend, t)) };
    });
    if (Object.keys(named).length !== 4 * rates.length) throw new Error(`${adamInPlaceKernelName}: ${Object.keys(named).length} inputs for ${rates.length} rates (four per variable)`);
    for (const { n, rate, offsets } of updates) adamStep(addon, backend, offsets, offsets, n, rate, constants);
    return [];
  };
}

/** `ReplearnDense`: inputs x [B, K], weight [K, N], bias [N]; attribute activation 'linear' | 'relu'. */
function dense(addon: NativeAddon): NativeKernel {
  const product = matMul(addon, true);
  return ({ inputs, attrs }, backend) => {
    const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
    const { activation } = (attrs ?? {}) as { activation?: string };
    if (activation !== 'linear' && activation !== 'relu') throw new Error(`${denseKernelName}: activation must be linear or relu, got ${String(activation)}`);
    if (x.shape.length !== 2 || weight.shape.length !== 2 || bias.shape.length !== 1 || bias.shape[0] !== weight.shape[1]) {
      throw new Error(`${denseKernelName}: needs x [batch, in], weight [in, out] and bias [out], got [${x.shape}], [${weight.shape}] and [${bias.shape}]`);
    }
    const out = product({ inputs: { a: x, b: weight, bias }, backend, attrs: { activation } }, backend);
    if (out === null) throw new Error(`${denseKernelName}: x, weight and bias must be float32`);
    return out;
  };
}

/** `ReplearnConv2d`: inputs x [B, H, W, C], filter [KH, KW, C, CO], bias [CO]; attributes strides, pad ('same' | 'valid'), activation ('linear' | 'relu'). */
function convLayer(addon: NativeAddon): NativeKernel {
  const convolution = conv2d(addon, true);
  return ({ inputs, attrs }, backend) => {
    const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
    const { strides, pad, activation } = (attrs ?? {}) as { strides?: [number, number]; pad?: string; activation?: string };
    if (activation !== 'linear' && activation !== 'relu') throw new Error(`${convKernelName}: activation must be linear or relu, got ${String(activation)}`);
    if (x.shape.length !== 4 || filter.shape.length !== 4 || bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3] || x.shape[3] !== filter.shape[2]) {
      throw new Error(`${convKernelName}: needs x [batch, h, w, c], filter [kh, kw, c, out] and bias [out], got [${x.shape}], [${filter.shape}] and [${bias.shape}]`);
    }
    const out = convolution({ inputs: { x, filter, bias }, backend, attrs: { strides: strides ?? [1, 1], pad: pad ?? 'same', dataFormat: 'NHWC', dilations: 1, activation } }, backend);
    if (out === null) throw new Error(`${convKernelName}: x, filter and bias must be float32`);
    return out;
  };
}

/** Rows and columns of a tensor seen as [everything but the last axis, the last axis]. */
function rowsAndColumns(t: TensorInfo): [number, number] {
  const cols = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
  return [cols === 0 ? 0 : size(t.shape) / cols, cols];
}

/** `ReplearnBiasActivation`: inputs x [..., C] and bias [C]; attribute activation 'linear' | 'relu'; output activation(x + bias). */
function biasActivation(addon: NativeAddon): NativeKernel {
  return ({ inputs, attrs }, backend) => {
    const { x, bias } = inputs as { x: TensorInfo; bias: TensorInfo };
    const { activation } = (attrs ?? {}) as { activation?: string };
    if (activation !== 'linear' && activation !== 'relu') throw new Error(`${biasActivationKernelName}: activation must be linear or relu, got ${String(activation)}`);
    if (!allFloat(x, bias) || x.shape.length === 0 || bias.shape.length !== 1 || bias.shape[0] !== x.shape[x.shape.length - 1]) {
      throw new Error(`${biasActivationKernelName}: needs float32 x [..., c] and bias [c], got [${x.shape}] and [${bias.shape}]`);
    }
    const [rows, cols] = rowsAndColumns(x);
    const out = backend.makeOutput([...x.shape], 'float32');
    addon.biasActivation(backend.wasm.HEAPU8, { xOffset: offsetOf(backend, x), biasOffset: offsetOf(backend, bias), outOffset: offsetOf(backend, out), rows, cols, activation, leakyreluAlpha: 0 });
    return out;
  };
}

/** `ReplearnReluBiasGrad`: inputs dy and y (a ReLU layer's output) of one shape [..., C]; outputs g (dy masked by y > 0) and db [C] (g summed over all but the last axis). */
function reluBiasGrad(addon: NativeAddon): NativeKernel {
  return ({ inputs }, backend) => {
    const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
    if (!allFloat(dy, y) || dy.shape.length === 0 || dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) {
      throw new Error(`${reluBiasGradKernelName}: dy and y must be float32 of one shape, got [${dy.shape}] and [${y.shape}]`);
    }
    const [rows, cols] = rowsAndColumns(dy);
    const g = backend.makeOutput([...dy.shape], 'float32');
    const db = backend.makeOutput([cols], 'float32');
    addon.reluBiasGrad(backend.wasm.HEAPU8, { dyOffset: offsetOf(backend, dy), yOffset: offsetOf(backend, y), gOffset: offsetOf(backend, g), dbOffset: offsetOf(backend, db), rows, cols });
    return [g, db];
  };
}

/** Throws unless logits and x are float32 of one 2-D shape; returns [rows, cols]. */
function bceShape(kernel: string, logits: TensorInfo, x: TensorInfo): [number, number] {
  if (!allFloat(logits, x) || logits.shape.length !== 2 || x.shape.length !== 2 || logits.shape[0] !== x.shape[0] || logits.shape[1] !== x.shape[1]) {
    throw new Error(`${kernel}: logits and x must be float32 of one 2-D shape, got [${logits.shape}] and [${x.shape}]`);
  }
  return [logits.shape[0], logits.shape[1]];
}

/** `ReplearnBce`: inputs logits and x [rows, cols]; output [rows], each row's binary cross-entropy summed. */
function bce(addon: NativeAddon): NativeKernel {
  return ({ inputs }, backend) => {
    const { logits, x } = inputs as { logits: TensorInfo; x: TensorInfo };
    const [rows, cols] = bceShape(bceKernelName, logits, x);
    const out = backend.makeOutput([rows], 'float32');
    addon.bce(backend.wasm.HEAPU8, { logitsOffset: offsetOf(backend, logits), xOffset: offsetOf(backend, x), outOffset: offsetOf(backend, out), rows, cols });
    return out;
  };
}

/** `ReplearnBceGrad`: inputs dy [rows], logits and x [rows, cols]; output dy[r] (sigmoid(logits) - x). */
function bceGrad(addon: NativeAddon): NativeKernel {
  return ({ inputs }, backend) => {
    const { dy, logits, x } = inputs as { dy: TensorInfo; logits: TensorInfo; x: TensorInfo };
    const [rows, cols] = bceShape(bceGradKernelName, logits, x);
    if (!allFloat(dy) || dy.shape.length !== 1 || dy.shape[0] !== rows) throw new Error(`${bceGradKernelName}: dy must be float32 [${rows}], got [${dy.shape}]`);
    const out = backend.makeOutput([rows, cols], 'float32');
    addon.bceGrad(backend.wasm.HEAPU8, { dyOffset: offsetOf(backend, dy), logitsOffset: offsetOf(backend, logits), xOffset: offsetOf(backend, x), dLogitsOffset: offsetOf(backend, out), rows, cols });
    return out;
  };
}

/**
 * A float32 view of a tensor on the wasm heap, for the small kernels written here in TypeScript
 * (a VAE's [batch, latent] tensors: one call matters there, not the arithmetic). Taken after every
 * output is allocated, since an allocation can grow the heap and detach older views.
 */
function heapView(backend: WasmBackend, info: TensorInfo): Float32Array {
  const heap = backend.wasm.HEAPU8;
  return new Float32Array(heap.buffer, heap.byteOffset + offsetOf(backend, info) * 4, size(info.shape));
}

/** Throws unless every tensor is float32 with `shape`'s 2-D shape. */
function sameMatrices(kernel: string, shape: readonly number[], named: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(named)) {
    if (t.dtype !== 'float32' || t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
      throw new Error(`${kernel}: ${name} must be float32 [${shape}], got ${t.dtype} [${t.shape}]`);
    }
  }
}

/** `ReplearnGaussianKl`: inputs mean and logVar [rows, dim]; output [rows], -1/2 sum(1 + logVar - mean^2 - exp(logVar)) per row. */
function gaussianKl(): NativeKernel {
  return ({ inputs }, backend) => {
    const { mean, logVar } = inputs as { mean: TensorInfo; logVar: TensorInfo };
    sameMatrices(gaussianKlKernelName, mean.shape, { mean, logVar });
    const [rows, dim] = mean.shape;
    const out = backend.makeOutput([rows], 'float32');
    const [m, lv, o] = [heapView(backend, mean), heapView(backend, logVar), heapView(backend, out)];
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = r * dim; j < (r + 1) * dim; j++) sum += 1 + lv[j] - m[j] * m[j] - Math.exp(lv[j]);
      o[r] = -0.5 * sum;
    }
    return out;
  };
}

/** `ReplearnGaussianKlGrad`: inputs dy [rows], mean and logVar [rows, dim]; outputs dMean = dy mean and dLogVar = dy (exp(logVar) - 1) / 2. */
function gaussianKlGrad(): NativeKernel {
  return ({ inputs }, backend) => {
    const { dy, mean, logVar } = inputs as { dy: TensorInfo; mean: TensorInfo; logVar: TensorInfo };
    sameMatrices(gaussianKlGradKernelName, mean.shape, { mean, logVar });
    const [rows, dim] = mean.shape;
    if (dy.dtype !== 'float32' || dy.shape.length !== 1 || dy.shape[0] !== rows) throw new Error(`${gaussianKlGradKernelName}: dy must be float32 [${rows}], got [${dy.shape}]`);
    const [dMean, dLogVar] = [backend.makeOutput([rows, dim], 'float32'), backend.makeOutput([rows, dim], 'float32')];
    const [g, m, lv, dm, dlv] = [dy, mean, logVar, dMean, dLogVar].map((t) => heapView(backend, t));
    for (let r = 0; r < rows; r++) {
      for (let j = r * dim; j < (r + 1) * dim; j++) {
        dm[j] = g[r] * m[j];
        dlv[j] = 0.5 * g[r] * (Math.exp(lv[j]) - 1);
      }
    }
    return [dMean, dLogVar];
  };
}

/** `ReplearnReparameterize`: inputs mean, logVar and eps [rows, dim]; output mean + exp(logVar / 2) eps. */
function reparameterize(): NativeKernel {
  return ({ inputs }, backend) => {
    const { mean, logVar, eps } = inputs as { mean: TensorInfo; logVar: TensorInfo; eps: TensorInfo };
    sameMatrices(reparameterizeKernelName, mean.shape, { mean, logVar, eps });
    const out = backend.makeOutput([...mean.shape], 'float32');
    const [m, lv, e, z] = [mean, logVar, eps, out].map((t) => heapView(backend, t));
    for (let i = 0; i < z.length; i++) z[i] = m[i] + Math.exp(0.5 * lv[i]) * e[i];
    return out;
  };
}

/** `ReplearnReparameterizeGrad`: inputs dz, logVar and eps [rows, dim]; outputs dLogVar = dz eps exp(logVar / 2) / 2 and dEps = dz exp(logVar / 2) (dMean is dz itself). */
function reparameterizeGrad(): NativeKernel {
  return ({ inputs }, backend) => {
    const { dz, logVar, eps } = inputs as { dz: TensorInfo; logVar: TensorInfo; eps: TensorInfo };
    sameMatrices(reparameterizeGradKernelName, dz.shape, { dz, logVar, eps });
    const [dLogVar, dEps] = [backend.makeOutput([...dz.shape], 'float32'), backend.makeOutput([...dz.shape], 'float32')];
    const [g, lv, e, dlv, de] = [dz, logVar, eps, dLogVar, dEps].map((t) => heapView(backend, t));
    for (let i = 0; i < g.length; i++) {
      const scale = Math.exp(0.5 * lv[i]);
      de[i] = g[i] * scale;
      dlv[i] = 0.5 * g[i] * e[i] * scale;
    }
    return [dLogVar, dEps];
  };
}

/**
 * The kernels the native backend runs in the addon, by TF.js kernel name (every other kernel is
 * wasm's): the one list of them, which registration and `nativeKernelNames` read.
 */
export const nativeKernelTable: Readonly<Record<string, (addon: NativeAddon) => NativeKernel>> = {
  Identity: () => identity,
  BatchMatMul: (addon) => matMul(addon, false),
  _FusedMatMul: (addon) => matMul(addon, true),
  Conv2D: (addon) => conv2d(addon, false),
  FusedConv2D: (addon) => conv2d(addon, true),
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  Sum: sum,
  [adamKernelName]: adam,
  [adamInPlaceKernelName]: adamInPlace,
  [denseKernelName]: dense,
  [reluBiasGradKernelName]: reluBiasGrad,
  [convKernelName]: convLayer,
  [biasActivationKernelName]: biasActivation,
  [gaussianKlKernelName]: gaussianKl,
  [gaussianKlGradKernelName]: gaussianKlGrad,
  [reparameterizeKernelName]: reparameterize,
  [reparameterizeGradKernelName]: reparameterizeGrad,
  [bceKernelName]: bce,
  [bceGradKernelName]: bceGrad,
};

/** Names of the kernels the native backend runs in the addon (the rest are wasm's). */
export const nativeKernelNames: readonly string[] = Object.keys(nativeKernelTable);
