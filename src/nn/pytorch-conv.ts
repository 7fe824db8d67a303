import * as tf from '@tensorflow/tfjs';

/**
 * Convolutions with PyTorch's padding arithmetic, which TF.js's `same`/`valid` lack: 2-D and 1-D
 * transposed convolutions (`ConvTranspose2d`, `ConvTranspose1d`) with `padding` and
 * `outputPadding`, a 1-D convolution with explicit zero padding, and the zero-insertion picture of
 * a transposed convolution that the lecture draws. Each is built from TF.js ops that have
 * gradients, so autodiff gives their gradients; test/nn/pytorch-conv.test.ts checks them against
 * numerical differences.
 */

/** Options of `convTranspose2d`: per-axis `[rows, cols]`, or one number for both. */
export interface ConvTransposeOptions {
  /** Default 1. */
  stride?: number | readonly [number, number];
  /** Removed from both ends of each spatial axis of the full output (PyTorch's `padding`). Default 0. */
  padding?: number | readonly [number, number];
  /** Added at the far end of each spatial axis, below `stride` (PyTorch's `output_padding`). Default 0. */
  outputPadding?: number | readonly [number, number];
}

/** Options of `conv1dTranspose`. */
export interface Conv1dTransposeOptions {
  /** Default 1. */
  stride?: number;
  /** Default 0. */
  padding?: number;
  /** Default 0. */
  outputPadding?: number;
}

function pair(value: number | readonly [number, number] | undefined, fallback: number, what: string, min: number): [number, number] {
  const v: readonly [number, number] = value === undefined ? [fallback, fallback] : typeof value === 'number' ? [value, value] : value;
  if (v.length !== 2 || v.some((d) => !Number.isSafeInteger(d) || d < min)) {
    throw new Error(`${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [v[0], v[1]];
}

/**
 * The output length of a transposed convolution: `(input - 1) * stride + kernel - 2 * padding + outputPadding`.
 * It inverts the length arithmetic of a convolution with the same kernel, stride and padding.
 */
export function convTransposeOutputSize(input: number, kernel: number, stride = 1, padding = 0, outputPadding = 0): number {
  return (input - 1) * stride + kernel - 2 * padding + outputPadding;
}

/**
 * A 2-D transposed convolution of `x` `[batch, h, w, inChannels]` with `filter`
 * `[kRows, kCols, outChannels, inChannels]` (TF.js's layout), with PyTorch's semantics: output
 * `[batch, H, W, outChannels]` with `H = (h - 1) * stride + kRows - 2 * padding + outputPadding`
 * (likewise W). Computed as TF.js's `conv2dTranspose` with `valid` padding (the full output
 * `(h - 1) * stride + kRows`), cropped by `padding` at both ends, with `outputPadding` zeros
 * appended where the crop leaves too few rows.
 */
export function convTranspose2d(x: tf.Tensor4D, filter: tf.Tensor4D, options: ConvTransposeOptions = {}): tf.Tensor4D {
  const stride = pair(options.stride, 1, 'stride', 1);
  const padding = pair(options.padding, 0, 'padding', 0);
  const outputPadding = pair(options.outputPadding, 0, 'outputPadding', 0);
  if (x.rank !== 4) throw new Error(`convTranspose2d: expected x of shape [batch, h, w, inChannels], got [${x.shape.join(', ')}]`);
  if (filter.rank !== 4) throw new Error(`convTranspose2d: expected filter of shape [kRows, kCols, outChannels, inChannels], got [${filter.shape.join(', ')}]`);
  const [batch, h, w, inChannels] = x.shape;
  const [kr, kc, outChannels, filterIn] = filter.shape;
  if (filterIn !== inChannels) {
    throw new Error(`convTranspose2d: filter [${filter.shape.join(', ')}] takes ${filterIn} input channels, x [${x.shape.join(', ')}] has ${inChannels}`);
  }
  for (let a = 0; a < 2; a++) {
    if (outputPadding[a] >= stride[a]) throw new Error(`convTranspose2d: outputPadding ${outputPadding[a]} must be smaller than stride ${stride[a]} (as in PyTorch)`);
  }
  const full = [(h - 1) * stride[0] + kr, (w - 1) * stride[1] + kc];
  const out = [0, 1].map((a) => full[a] - 2 * padding[a] + outputPadding[a]);
  if (out.some((d) => d <= 0)) {
    throw new Error(`convTranspose2d: padding [${padding.join(', ')}] leaves no output from input [${h}, ${w}] with kernel [${kr}, ${kc}] and stride [${stride.join(', ')}]`);
  }
  return tf.tidy(() => {
    let y = tf.conv2dTranspose(x, filter, [batch, full[0], full[1], outChannels], stride, 'valid');
    // Rows past the full output (outputPadding beyond the crop) receive no input: zeros.
    const extra = [0, 1].map((a) => Math.max(0, padding[a] + out[a] - full[a]));
    if (extra[0] > 0 || extra[1] > 0) y = tf.pad(y, [[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]]);
    return tf.slice(y, [0, padding[0], padding[1], 0], [batch, out[0], out[1], outChannels]);
  });
}

/**
 * A 1-D transposed convolution (PyTorch's `ConvTranspose1d` without bias) of `x`
 * `[batch, length, inChannels]` with `filter` `[kernel, outChannels, inChannels]`: output
 * `[batch, (length - 1) * stride + kernel - 2 * padding + outputPadding, outChannels]`. It is
 * `convTranspose2d` on an image of width 1, as TF.js computes `conv1d` with `conv2d`. It is the
 * adjoint (the gradient with respect to the input) of `conv1dPadded` with the same filter tensor,
 * stride and padding: conv1d's `[kernel, in, out]` is this op's `[kernel, outChannels, inChannels]`.
 */
export function conv1dTranspose(x: tf.Tensor3D, filter: tf.Tensor3D, options: Conv1dTransposeOptions = {}): tf.Tensor3D {
  if (x.rank !== 3) throw new Error(`conv1dTranspose: expected x of shape [batch, length, inChannels], got [${x.shape.join(', ')}]`);
  if (filter.rank !== 3) throw new Error(`conv1dTranspose: expected filter of shape [kernel, outChannels, inChannels], got [${filter.shape.join(', ')}]`);
  const [batch, length, inChannels] = x.shape;
  const [kernel, outChannels, filterIn] = filter.shape;
  if (filterIn !== inChannels) {
    throw new Error(`conv1dTranspose: filter [${filter.shape.join(', ')}] takes ${filterIn} input channels, x [${x.shape.join(', ')}] has ${inChannels}`);
  }
  return tf.tidy(() => {
    const y = convTranspose2d(x.reshape([batch, length, 1, inChannels]), filter.reshape([kernel, 1, outChannels, inChannels]), {
      stride: [options.stride ?? 1, 1],
      padding: [options.padding ?? 0, 0],
      outputPadding: [options.outputPadding ?? 0, 0],
    });
    return y.reshape([batch, y.shape[1], outChannels]);
  });
}

/**
 * A 1-D convolution (PyTorch's `Conv1d` without bias) of `x` `[batch, length, inChannels]` with
 * `filter` `[kernel, inChannels, outChannels]`, zero `padding` at both ends: output
 * `[batch, floor((length + 2 * padding - kernel) / stride) + 1, outChannels]`.
 */
export function conv1dPadded(x: tf.Tensor3D, filter: tf.Tensor3D, stride = 1, padding = 0): tf.Tensor3D {
  if (x.rank !== 3) throw new Error(`conv1dPadded: expected x of shape [batch, length, inChannels], got [${x.shape.join(', ')}]`);
  if (!Number.isSafeInteger(padding) || padding < 0) throw new Error(`conv1dPadded: padding must be an integer >= 0, got ${padding}`);
  return tf.tidy(() => tf.conv1d(padding === 0 ? x : tf.pad(x, [[0, 0], [padding, padding], [0, 0]]), filter, stride, 'valid'));
}

/** The four steps of a transposed convolution done as an ordinary one, on one channel. */
export interface ZeroInsertionSteps {
  /** Step 1: `stride - 1` zeros between neighbouring input values (rows and columns). */
  readonly inserted: number[][];
  /** Step 2: `kernel - 1 - padding` zeros around it (plus `outputPadding` more at the bottom and right). */
  readonly padded: number[][];
  /** Step 3: the kernel rotated by 180 degrees. */
  readonly flippedKernel: number[][];
  /** Step 4: the stride-1 `valid` convolution (cross-correlation, as in deep learning) of `padded` with `flippedKernel`. */
  readonly output: number[][];
}

/**
 * A single-channel 2-D transposed convolution computed by hand, step by step (Dumoulin and Visin,
 * "A guide to convolution arithmetic", 2016): insert zeros, pad, flip the kernel, convolve with
 * stride 1. Plain arrays, no TF.js: it is the picture that `convTranspose2d` must agree with.
 * Needs `padding <= kernel - 1`.
 */
export function transposedConvByZeroInsertion(x: number[][], kernel: number[][], options: { stride: number; padding?: number; outputPadding?: number }): ZeroInsertionSteps {
  const { stride } = options;
  const padding = options.padding ?? 0;
  const outputPadding = options.outputPadding ?? 0;
  const k = kernel.length;
  if (x.length === 0 || x.some((row) => row.length !== x[0].length)) throw new Error('transposedConvByZeroInsertion: x must be a non-empty rectangular array');
  if (kernel.some((row) => row.length !== k)) throw new Error('transposedConvByZeroInsertion: kernel must be square');
  if (!(Number.isSafeInteger(stride) && stride >= 1)) throw new Error(`transposedConvByZeroInsertion: stride must be a positive integer, got ${stride}`);
  if (!(Number.isSafeInteger(padding) && padding >= 0 && padding <= k - 1)) {
    throw new Error(`transposedConvByZeroInsertion: padding must be an integer in 0..kernel-1 = ${k - 1}, got ${padding}`);
  }
  const [h, w] = [x.length, x[0].length];
  const inserted = Array.from({ length: (h - 1) * stride + 1 }, (_, i) =>
    Array.from({ length: (w - 1) * stride + 1 }, (_, j) => (i % stride === 0 && j % stride === 0 ? x[i / stride][j / stride] : 0)),
  );
  const border = k - 1 - padding;
  const padded = Array.from({ length: inserted.length + 2 * border + outputPadding }, (_, i) =>
    Array.from({ length: inserted[0].length + 2 * border + outputPadding }, (_, j) => inserted[i - border]?.[j - border] ?? 0),
  );
  const flippedKernel = kernel.map((_, i) => kernel[k - 1 - i].map((_, j) => kernel[k - 1 - i][k - 1 - j]));
  const output = Array.from({ length: padded.length - k + 1 }, (_, i) =>
    Array.from({ length: padded[0].length - k + 1 }, (_, j) => {
      let s = 0;
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) s += padded[i + a][j + b] * flippedKernel[a][b];
      return s;
    }),
  );
  return { inserted, padded, flippedKernel, output };
}
