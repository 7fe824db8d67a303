import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { conv1dPadded, conv1dTranspose, convTranspose2d, convTransposeOutputSize, maxPool1d, maxUnpool1d, transposedConvByZeroInsertion } from '../../src/nn/conv1d';
import { values } from '../support/backend-compare';

before(async () => {
  await tf.setBackend('cpu');
});

/**
 * Central differences of `f` with respect to each value of `x` (float64 on the host, f evaluated
 * by TF.js in float32): the independent check of autodiff's gradients.
 */
function numericalGradient(f: (x: tf.Tensor) => tf.Scalar, x: Float32Array, shape: number[], eps: number): Float64Array {
  const g = new Float64Array(x.length);
  const at = (v: Float32Array) => tf.tidy(() => f(tf.tensor(v, shape)).dataSync()[0]);
  for (let i = 0; i < x.length; i++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] += eps;
    minus[i] -= eps;
    g[i] = (at(plus) - at(minus)) / (2 * eps);
  }
  return g;
}

/** Asserts that autodiff's gradient of `f` at `x` matches central differences within `tolerance`. */
function checkGradient(f: (x: tf.Tensor) => tf.Scalar, x: Float32Array, shape: number[], what: string, eps = 1e-2, tolerance = 2e-3): void {
  const auto = tf.tidy(() => tf.grad(f)(tf.tensor(x, shape)).dataSync());
  const numeric = numericalGradient(f, x, shape, eps);
  checkClose(auto, numeric, tolerance, what);
}

/** A linear functional sum(y * r) with fixed random weights `r`: its gradient is J^T r, a random combination of the Jacobian's rows. */
function weighted(y: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(y.mul(tf.tensor(values(y.size, seed), y.shape)));
}

const t3 = (n: number, shape: [number, number, number], seed: number) => tf.tensor3d(values(n, seed), shape);

describe('conv1dTranspose', () => {
  const cases = [
    { name: 'kernel 3, stride 2, padding 1, output padding 1', L: 5, inC: 2, outC: 3, k: 3, s: 2, p: 1, op: 1 },
    { name: 'the lecture stem inverted: kernel 8, stride 4, padding 2', L: 6, inC: 3, outC: 1, k: 8, s: 4, p: 2, op: 0 },
    { name: 'kernel 4, stride 3, no padding', L: 4, inC: 1, outC: 2, k: 4, s: 3, p: 0, op: 0 },
    { name: 'stride 1 (the adjoint of a same convolution)', L: 7, inC: 2, outC: 2, k: 3, s: 1, p: 1, op: 0 },
    { name: 'kernel smaller than stride, output padding past the crop', L: 3, inC: 2, outC: 1, k: 2, s: 3, p: 0, op: 2 },
  ];

  for (const c of cases) {
    it(`${c.name}: output length (L-1)s+k-2p+op, and the gradients with respect to x and the filter match central differences`, () => {
      const xShape: [number, number, number] = [2, c.L, c.inC];
      const fShape: [number, number, number] = [c.k, c.outC, c.inC];
      const xs = values(2 * c.L * c.inC, 1);
      const fs = values(c.k * c.outC * c.inC, 2);
      const opts = { stride: c.s, padding: c.p, outputPadding: c.op };
      const y = conv1dTranspose(tf.tensor3d(xs, xShape), tf.tensor3d(fs, fShape), opts);
      assert.deepEqual(y.shape, [2, convTransposeOutputSize(c.L, c.k, c.s, c.p, c.op), c.outC]);
      checkGradient((x) => weighted(conv1dTranspose(x as tf.Tensor3D, tf.tensor3d(fs, fShape), opts), 3), xs, xShape, `${c.name}: d/dx`);
      checkGradient((f) => weighted(conv1dTranspose(tf.tensor3d(xs, xShape), f as tf.Tensor3D, opts), 3), fs, fShape, `${c.name}: d/dfilter`);
      y.dispose();
    });
  }

  it('is the adjoint of the strided convolution with the same kernel: <conv(u), v> = <u, convT(v)>', () => {
    // conv: [b, 20, 2] -> [b, (20 + 2 - 6) / 2 + 1 = 9, 3]; its transpose maps [b, 9, 3] back to length 20.
    const u = t3(2 * 20 * 2, [2, 20, 2], 4);
    const v = t3(2 * 9 * 3, [2, 9, 3], 5);
    const w = values(6 * 2 * 3, 6);
    // conv1d's filter is [k, in 2, out 3]; the transpose's layout [k, its out 2, its in 3] is the same tensor.
    const convW = tf.tensor3d(w, [6, 2, 3]);
    const left = tf.sum(conv1dPadded(u, convW, 2, 1).mul(v)).dataSync()[0];
    const back = conv1dTranspose(v, convW, { stride: 2, padding: 1 });
    assert.deepEqual(back.shape, [2, 20, 2]);
    const right = tf.sum(u.mul(back)).dataSync()[0];
    assert.ok(Math.abs(left - right) < 1e-4 * Math.max(1, Math.abs(left)), `${left} vs ${right}`);
  });

  it('rejects mismatched channels, a bad output padding and wrong ranks with the values named', () => {
    assert.throws(() => conv1dTranspose(tf.zeros([1, 4, 2]) as tf.Tensor3D, tf.zeros([3, 1, 3]) as tf.Tensor3D), /filter \[3, 1, 3\] takes 3 input channels, x \[1, 4, 2\] has 2/);
    assert.throws(() => conv1dTranspose(tf.zeros([1, 4, 2]) as tf.Tensor3D, tf.zeros([3, 1, 2]) as tf.Tensor3D, { stride: 2, outputPadding: 2 }), /outputPadding 2 must be smaller than stride 2/);
    assert.throws(() => conv1dTranspose(tf.zeros([4, 2]) as unknown as tf.Tensor3D, tf.zeros([3, 1, 2]) as tf.Tensor3D), /expected x of shape \[batch, length, inChannels\], got \[4, 2\]/);
    assert.throws(() => conv1dTranspose(tf.zeros([1, 1, 1]) as tf.Tensor3D, tf.zeros([2, 1, 1]) as tf.Tensor3D, { padding: 1 }), /leaves no output/);
  });
});

describe('convTranspose2d and the zero-insertion picture', () => {
  const settings = [
    { n: 3, k: 3, s: 2, p: 1, op: 1 },
    { n: 4, k: 3, s: 2, p: 0, op: 0 },
    { n: 2, k: 4, s: 3, p: 1, op: 2 },
    { n: 3, k: 2, s: 1, p: 0, op: 0 },
  ];
  for (const c of settings) {
    it(`n ${c.n}, kernel ${c.k}, stride ${c.s}, padding ${c.p}, output padding ${c.op}: insert zeros, pad, flip, convolve gives the layer's output`, () => {
      const x = Array.from({ length: c.n }, (_, i) => Array.from({ length: c.n }, (_, j) => 1 + i * c.n + j));
      const kernel = Array.from({ length: c.k }, (_, i) => Array.from({ length: c.k }, (_, j) => ((i * 7 + j * 3) % 5) - 2));
      const steps = transposedConvByZeroInsertion(x, kernel, { stride: c.s, padding: c.p, outputPadding: c.op });
      assert.equal(steps.inserted.length, (c.n - 1) * c.s + 1);
      assert.equal(steps.flippedKernel[0][0], kernel[c.k - 1][c.k - 1]);
      const size = convTransposeOutputSize(c.n, c.k, c.s, c.p, c.op);
      const layer = convTranspose2d(tf.tensor4d(x.flat(), [1, c.n, c.n, 1]), tf.tensor4d(kernel.flat(), [c.k, c.k, 1, 1]), { stride: c.s, padding: c.p, outputPadding: c.op });
      assert.deepEqual(layer.shape, [1, size, size, 1]);
      assert.deepEqual(Array.from(layer.dataSync()), steps.output.flat());
    });
  }

  it("TF.js's own 'same' transposed convolution (the lecture's layer) is the full output cut to n * stride from the start", () => {
    const x = tf.tensor4d(values(2 * 3 * 3 * 2, 7), [2, 3, 3, 2]);
    const f = tf.tensor4d(values(3 * 3 * 4 * 2, 8), [3, 3, 4, 2]);
    const same = tf.conv2dTranspose(x, f, [2, 6, 6, 4], 2, 'same');
    const full = convTranspose2d(x, f, { stride: 2 });
    assert.deepEqual(full.shape, [2, 7, 7, 4]);
    checkClose(same.dataSync(), full.slice([0, 0, 0, 0], [2, 6, 6, 4]).dataSync(), 1e-5, 'same = full[:6, :6]');
  });
});

describe('maxPool1d and maxUnpool1d', () => {
  it('pools a hand-made signal, keeps the argmax positions (first on ties) and puts values back there', () => {
    const x = tf.tensor3d([1, 5, 3, 2, 2, 2, 9, 0, 7], [1, 9, 1]);
    const { y, indices } = maxPool1d(x, 2);
    assert.deepEqual(Array.from(y.dataSync()), [5, 3, 2, 9]);
    assert.deepEqual(Array.from(indices.dataSync()), [1, 2, 4, 6]);
    assert.equal(indices.dtype, 'int32');
    assert.deepEqual(Array.from(maxUnpool1d(y, indices, 2).dataSync()), [0, 5, 3, 0, 2, 0, 9, 0]);
    assert.deepEqual(Array.from(maxUnpool1d(y, indices, 2, 9).dataSync()), [0, 5, 3, 0, 2, 0, 9, 0, 0]);
  });

  it('pools each channel and batch row on its own', () => {
    const x = tf.tensor3d([1, 10, 4, 20, 3, 30, 2, 40], [1, 4, 2]); // channel 0: 1 4 3 2, channel 1: 10 20 30 40
    const { y, indices } = maxPool1d(x, 2);
    assert.deepEqual(Array.from(y.dataSync()), [4, 20, 3, 40]);
    assert.deepEqual(Array.from(indices.dataSync()), [1, 1, 2, 3]);
  });

  it('gradients match central differences: pooling sends it to the argmax, unpooling gathers it from there', () => {
    const shape: [number, number, number] = [2, 12, 3];
    const xs = values(2 * 12 * 3, 9);
    checkGradient((x) => weighted(maxPool1d(x as tf.Tensor3D, 3).y, 10), xs, shape, 'd maxPool1d / dx', 1e-3);
    const { indices } = maxPool1d(tf.tensor3d(xs, shape), 3);
    const ys = values(2 * 4 * 3, 11);
    checkGradient((y) => weighted(maxUnpool1d(y as tf.Tensor3D, indices, 3, 13), 12), ys, [2, 4, 3], 'd maxUnpool1d / dy');
    // Pooling what was unpooled finds the same positive values at the same places.
    const positive = tf.tensor3d(ys.map((v) => Math.abs(v) + 0.1), [2, 4, 3]);
    const again = maxPool1d(maxUnpool1d(positive, indices, 3), 3);
    checkClose(again.y.dataSync(), positive.dataSync(), 0, 'pool(unpool(y)) = y');
    assert.deepEqual(Array.from(again.indices.dataSync()), Array.from(indices.dataSync()));
  });

  it('rejects a bad size, short input and indices of the wrong shape or type', () => {
    assert.throws(() => maxPool1d(tf.zeros([1, 4, 1]) as tf.Tensor3D, 0), /maxPool1d: size must be a positive integer, got 0/);
    assert.throws(() => maxPool1d(tf.zeros([1, 1, 1]) as tf.Tensor3D, 2), /length 1 is shorter than one window of 2/);
    assert.throws(() => maxUnpool1d(tf.zeros([1, 2, 1]) as tf.Tensor3D, tf.zeros([1, 2, 1]) as tf.Tensor3D, 2), /indices must be int32 shaped like y \[1, 2, 1\], got float32/);
    assert.throws(() => maxUnpool1d(tf.zeros([1, 2, 1]) as tf.Tensor3D, tf.zeros([1, 2, 1], 'int32') as tf.Tensor3D, 2, 3), /outputLength must be an integer >= 4/);
  });

  it('leaves no tensors behind', () => {
    const x = t3(24, [2, 6, 2], 1);
    const filter = t3(3 * 2 * 2, [3, 2, 2], 2);
    const before = tf.memory().numTensors;
    const { y, indices } = maxPool1d(x, 2);
    const u = maxUnpool1d(y, indices, 2);
    const t = conv1dTranspose(u, filter, { stride: 2, padding: 1, outputPadding: 1 });
    assert.equal(tf.memory().numTensors, before + 4);
    tf.dispose([y, indices, u, t]);
    assert.equal(tf.memory().numTensors, before);
  });
});
