import * as tf from '@tensorflow/tfjs';

/**
 * Kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks and replearn's models need, built from
 * the kernels it has. Without `Conv2DBackpropFilter` no convolutional model can train on wasm
 * (every convolution's filter gradient, and a transposed convolution's, is that kernel).
 */

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;

interface KernelBackend {
  disposeData(dataId: object): boolean;
}

/** Calls another kernel of `backendName` directly (the way composite kernels inside TF.js backends do). */
function runner(backendName: string, backend: KernelBackend, caller: string) {
  const made: TensorInfo[] = [];
  const run = (name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Attrs = {}): TensorInfo => {
    const kernel = tf.getKernel(name, backendName);
    if (kernel === undefined) throw new Error(`replearn's ${backendName} ${caller} needs the ${name} kernel, which ${backendName} does not have`);
    const out = kernel.kernelFunc({ inputs: inputs as never, backend: backend as never, attrs: attrs as never }) as TensorInfo | TensorInfo[];
    const info = Array.isArray(out) ? out[0] : out;
    made.push(info);
    return info;
  };
  /** Frees every intermediate except `keep`. */
  const release = (keep: TensorInfo) => {
    for (const info of made) if (info !== keep) backend.disposeData(info.dataId);
  };
  return { run, release };
}

/**
 * The filter gradient of a 2-D convolution (NHWC), by im2col: the input patches that met each
 * output position form a `[positions, kh*kw*inChannels]` matrix P, and dFilter = P^T dy.
 * Any stride, dilation and padding (`same`, `valid`, explicit numbers).
 */
export function conv2dBackpropFilterComposite(backendName: string) {
  return ({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = (attrs ?? {}) as unknown as {
      strides: number | [number, number];
      pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
      dataFormat?: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
      dilations?: number | [number, number];
    };
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on ${backendName}: only NHWC data is supported, got ${a.dataFormat}`);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      a.dilations ?? 1,
      a.pad as never,
      a.dimRoundingMode,
      false,
    );
    const { batchSize, inChannels, outChannels, filterHeight, filterWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
    const { run, release } = runner(backendName, backend as KernelBackend, 'Conv2DBackpropFilter');
    const padded =
      padInfo.top + padInfo.bottom + padInfo.left + padInfo.right === 0
        ? x
        : run('PadV2', { x }, { paddings: [[0, 0], [padInfo.top, padInfo.bottom], [padInfo.left, padInfo.right], [0, 0]], constantValue: 0 });
    const columns: TensorInfo[] = [];
    for (let r = 0; r < filterHeight; r++) {
      for (let c = 0; c < filterWidth; c++) {
        const top = r * dilationHeight;
        const left = c * dilationWidth;
        columns.push(
          run(
            'StridedSlice',
            { x: padded },
            {
              begin: [0, top, left, 0],
              end: [batchSize, top + (outHeight - 1) * strideHeight + 1, left + (outWidth - 1) * strideWidth + 1, inChannels],
              strides: [1, strideHeight, strideWidth, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          ),
        );
      }
    }
    const patches = columns.length === 1 ? columns[0] : run('Concat', columns as never, { axis: 3 });
    const positions = batchSize * outHeight * outWidth;
    const k = filterHeight * filterWidth * inChannels;
    const p2 = run('Reshape', { x: patches }, { shape: [1, positions, k] });
    // An explicit transpose: wasm's matmul with transposeA is several times slower than this.
    const pT = run('Transpose', { x: p2 }, { perm: [0, 2, 1] });
    const dy2 = run('Reshape', { x: dy }, { shape: [1, positions, outChannels] });
    const product = run('BatchMatMul', { a: pT, b: dy2 }, { transposeA: false, transposeB: false });
    const result = run('Reshape', { x: product }, { shape: [filterHeight, filterWidth, inChannels, outChannels] });
    release(result);
    return result;
  };
}

/**
 * Wraps a matmul kernel (`BatchMatMul`, `_FusedMatMul`) so that a transposed operand is transposed
 * explicitly first. wasm's XNNPACK matmul with `transposeA` or `transposeB` was measured here at
 * 8-13x the time of a transpose plus a plain matmul (128x784 by 784x256: 19 ms against 2.5 ms),
 * and the gradients of every dense layer ask for exactly those: dW = x^T dy, dx = dy W^T.
 *
 * It also mends a wasm 4.22 bug: a batched (rank 3) `_FusedMatMul` with a bias adds the bias
 * right only to the first row of each batch (ones [2,2,2] x ones [2,2,3] + [-10, 0, 10] gives rows
 * `-8 2 12` then `12 12 12`). Batched fused matmuls run as matmul, bias add and activation instead.
 */
export function explicitTransposeMatMul(backendName: string, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const { a, b, bias, preluActivationWeights } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const batchedBias = bias !== undefined && a.shape.length > 2;
    if (attrs.transposeA !== true && attrs.transposeB !== true && !batchedBias) return original(args);
    const { run, release } = runner(backendName, args.backend as KernelBackend, 'matmul');
    const swap = (t: TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      return run('Transpose', { x: t }, { perm });
    };
    const a2 = attrs.transposeA === true ? swap(a) : a;
    const b2 = attrs.transposeB === true ? swap(b) : b;
    let out: TensorInfo;
    if (!batchedBias) {
      out = original({ ...args, inputs: { ...args.inputs, a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    } else {
      out = run('Add', { a: run('BatchMatMul', { a: a2, b: b2 }, { transposeA: false, transposeB: false }), b: bias });
      const activation = attrs.activation ?? 'linear';
      if (activation === 'relu') out = run('Relu', { x: out });
      else if (activation === 'relu6') out = run('Relu6', { x: out });
      else if (activation === 'elu') out = run('Elu', { x: out });
      else if (activation === 'sigmoid') out = run('Sigmoid', { x: out });
      else if (activation === 'leakyrelu') out = run('LeakyRelu', { x: out }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
      else if (activation === 'prelu' && preluActivationWeights !== undefined) out = run('Prelu', { x: out, alpha: preluActivationWeights });
      else if (activation !== 'linear') throw new Error(`_FusedMatMul on ${backendName}: unknown activation ${activation}`);
    }
    release(out);
    return out;
  };
}

let registered = false;

/**
 * Completes and speeds up the `wasm` backend, once per process: adds `Conv2DBackpropFilter` (if
 * wasm lacks it) and wraps its matmuls so that transposed operands are transposed explicitly.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterComposite('wasm') as never });
  }
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(name, 'wasm');
    if (original === undefined) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: explicitTransposeMatMul('wasm', original.kernelFunc) });
  }
}
