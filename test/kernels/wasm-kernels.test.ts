import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { checkClose } from '../../src/core/assert';
import { assertGradientsMatchCpu, convCases, notebookModels, on, values } from '../support/backend-compare';
import { registerWasmKernels } from '../../src/kernels/wasm-kernels';

before(async () => {
  registerWasmKernels();
  await tf.setBackend('wasm');
  await tf.setBackend('cpu');
});



describe('wasm Conv2DBackpropFilter (im2col composite)', () => {
  for (const c of convCases) {
    it(`agrees with the cpu backend: ${c.name}`, async () => {
      const xs = values(c.x.reduce((a, b) => a * b, 1), 1);
      const ws = values(c.filter.reduce((a, b) => a * b, 1), 2);
      const run = () => {
        const x = tf.tensor4d(xs, c.x);
        const w = tf.tensor4d(ws, c.filter);
        // The gradient of sum(conv(x, w)^2 / 2) with respect to w goes through Conv2DBackpropFilter.
        const g = tf.grad((f) => tf.conv2d(x, f as tf.Tensor4D, c.strides, c.pad as 'same').square().sum().div(2))(w);
        return [g];
      };
      const [cpu] = await on('cpu', run);
      const [wasm] = await on('wasm', run);
      checkClose(wasm, cpu, 1e-4, `dFilter ${c.name}`);
      assert.ok(cpu.some((v) => Math.abs(v) > 1e-3), 'the gradient is not all zeros');
    });
  }

  it('leaves no intermediate tensors on wasm', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(values(2 * 8 * 8 * 3, 3), [2, 8, 8, 3]);
    const dy = tf.tensor4d(values(2 * 4 * 4 * 4, 4), [2, 4, 4, 4]);
    const before = tf.memory().numBytes;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const g = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }) as tf.Tensor;
    assert.deepEqual(g.shape, [3, 3, 3, 4]);
    assert.equal(backend.numDataIds(), ids + 1, 'only the result is new');
    g.dispose();
    assert.equal(tf.memory().numBytes, before);
    tf.dispose([x, dy]);
    await tf.setBackend('cpu');
  });
});

describe('wasm matmuls with transposed operands (transposed explicitly)', () => {
  const cases: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
    { a: [7, 5], b: [7, 3], tA: true, tB: false },
    { a: [7, 5], b: [3, 5], tA: false, tB: true },
    { a: [5, 7], b: [3, 5], tA: true, tB: true },
    { a: [2, 6, 4], b: [2, 6, 3], tA: true, tB: false },
    { a: [1, 4, 6], b: [3, 5, 6], tA: false, tB: true },
    { a: [9, 1], b: [2, 1], tA: false, tB: true },
  ];
  for (const c of cases) {
    it(`agrees with cpu: [${c.a}]${c.tA ? '^T' : ''} x [${c.b}]${c.tB ? '^T' : ''}, plain and fused with bias and relu`, async () => {
      const as = values(c.a.reduce((x, y) => x * y, 1), 7);
      const bs = values(c.b.reduce((x, y) => x * y, 1), 8);
      const run = () => {
        const a = tf.tensor(as, c.a);
        const b = tf.tensor(bs, c.b);
        const plain = tf.matMul(a, b, c.tA, c.tB);
        const cols = plain.shape[plain.rank - 1];
        const fused = tf.fused.matMul({ a, b, transposeA: c.tA, transposeB: c.tB, bias: tf.linspace(-1, 1, cols), activation: 'relu' });
        return [plain, fused];
      };
      const cpu = await on('cpu', run);
      const wasm = await on('wasm', run);
      checkClose(wasm[0], cpu[0], 1e-5, 'matMul');
      checkClose(wasm[1], cpu[1], 1e-5, 'fused matMul');
    });
  }

  it('leaves no transposed copies behind', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor2d(values(12, 1), [4, 3]);
    const b = tf.tensor2d(values(8, 2), [4, 2]);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const c = tf.matMul(a, b, true, false);
    assert.deepEqual(c.shape, [3, 2]);
    assert.equal(backend.numDataIds(), ids + 1);
    tf.dispose([a, b, c]);
    await tf.setBackend('cpu');
  });
});

describe('training gradients of the convolutional models and the VAE: wasm against cpu', () => {
  for (const m of notebookModels) it(m.name, () => assertGradientsMatchCpu('wasm', m));
});
