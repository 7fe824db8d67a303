import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { conv1dPadded, conv1dTranspose, convTranspose2d, convTransposeOutputSize, transposedConvByZeroInsertion } from '../../src/nn/pytorch-conv';
import { values } from '../support/backend-compare';
import { checkGradient, t3, weighted } from '../support/gradient-check';

before(async () => {
  await tf.setBackend('cpu');
});

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
