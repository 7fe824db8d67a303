import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { checkClose } from '../../src/core/assert';
import { assertGradientsMatchCpu, convCases, notebookModels, on, values, type ConvCase } from '../support/backend-compare';
import { adamInPlaceKernelName, adamKernelName, nativeKernelNames } from '../../src/kernels/native/adapters';
import { loadNativeAddon, nativeAddonPath, nativeConvolutionMode, nativeThreads, openblasCoreType, requireNativeAddon } from '../../src/kernels/native/load';
import { registerNativeBackend } from '../../src/kernels/native/register';
import { addonFunctions, addonSignatures, bindAddon, type AddonParams, type ConvolutionMode, type NativeAddon } from '../../src/kernels/native/signatures';
import { registerWasmKernels } from '../../src/kernels/wasm-kernels';
import { Random } from '../../src/core/random';
import { kMeans } from '../../src/latent/kmeans';
import { Pca } from '../../src/latent/pca';
import { symmetricEigen } from '../../src/latent/symmetric-eigen';
import { Optimizer } from '../../src/training/optimizer';
import { nativeBceWithLogits, nativeDense } from '../../src/kernels/native/fused-ops';
import { applyDense, type DenseLayer } from '../../src/nn/dense';
import { applyConv, applyConvTranspose, type ConvLayer, type ConvTransposeLayer } from '../../src/nn/conv';
import { binaryCrossEntropyWithLogitsPerExample } from '../../src/losses';
import { reparameterize, standardNormalKl, standardNormalKlPerExample } from '../../src/nn/gaussian';
import { nativeGaussianKl } from '../../src/kernels/native/fused-ops';

// Every native kernel against the cpu backend on the same inputs. Where the addon is not built
// (no compiler or OpenBLAS) the suite is skipped, saying so; CI sets REPLEARN_REQUIRE_NATIVE=1,
// which turns a missing addon into a failure. A built addon that does not match replearn's calling
// convention always fails.
let addon: NativeAddon | null = null;
let why = '';
try {
  requireNativeAddon();
} catch (error) {
  why = error instanceof Error ? error.message : String(error);
  if (process.env.REPLEARN_REQUIRE_NATIVE === '1') throw new Error(`REPLEARN_REQUIRE_NATIVE=1 but ${why}`);
}
if (why === '') addon = loadNativeAddon();
const skip = addon === null ? `native addon unavailable: ${why}` : false;

// The convolution ways to check: im2col always; oneDNN where the addon has it. CI sets
// REPLEARN_REQUIRE_ONEDNN=1, which turns an addon built without oneDNN into a failure.
const oneDnn = addon?.oneDnn() ?? '';
if (addon !== null && oneDnn === '' && process.env.REPLEARN_REQUIRE_ONEDNN === '1') throw new Error('REPLEARN_REQUIRE_ONEDNN=1 but the native addon was built without oneDNN');
const convolutionWays: ConvolutionMode[] = oneDnn === '' ? ['im2col'] : ['im2col', 'oneDNN'];

before(async () => {
  if (addon === null) return;
  registerWasmKernels();
  await registerNativeBackend(addon);
  await tf.setBackend('native');
  await tf.setBackend('cpu');
});


const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);


/** Runs `f` on cpu and on native and compares every output. */
async function agree(what: string, f: () => tf.Tensor[], tolerance = 1e-5): Promise<Float32Array[]> {
  const cpu = await on('cpu', f);
  const native = await on('native', f);
  assert.equal(native.length, cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    assert.equal(native[i].length, cpu[i].length, `${what} output ${i} size`);
    checkClose(native[i], cpu[i], tolerance, `${what} output ${i}`);
  }
  return cpu;
}

/** Asserts that `f` leaves nothing new on the native backend beyond what it returns. */
async function noLeaks(f: () => tf.Tensor[]): Promise<void> {
  await tf.setBackend('native');
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensors = tf.memory().numTensors;
  const ids = backend.numDataIds();
  const outs = f();
  assert.equal(backend.numDataIds(), ids + outs.length, 'only the results are new on the heap');
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, tensors);
  await tf.setBackend('cpu');
}

describe('native matmul (OpenBLAS sgemm) against cpu', { skip }, () => {
  const cases: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
    { a: [7, 5], b: [5, 3], tA: false, tB: false },
    { a: [7, 5], b: [7, 3], tA: true, tB: false },
    { a: [7, 5], b: [3, 5], tA: false, tB: true },
    { a: [5, 7], b: [3, 5], tA: true, tB: true },
    { a: [1, 1], b: [1, 1], tA: false, tB: false },
    { a: [3, 13, 6], b: [3, 6, 11], tA: false, tB: false },
    { a: [2, 6, 4], b: [2, 6, 3], tA: true, tB: false },
    { a: [4, 9, 6], b: [6, 5], tA: false, tB: false },
    { a: [1, 4, 6], b: [3, 5, 6], tA: false, tB: true },
    { a: [2, 3, 4, 5], b: [5, 2], tA: false, tB: false },
    { a: [9, 1], b: [2, 1], tA: false, tB: true },
  ];
  for (const c of cases) {
    it(`[${c.a}]${c.tA ? '^T' : ''} x [${c.b}]${c.tB ? '^T' : ''}: plain, fused (bias + each activation) and gradients`, async () => {
      const as = values(size(c.a), 7);
      const bs = values(size(c.b), 8);
      const sameBatch = c.a.length === c.b.length && c.a.slice(0, -2).every((d, i) => d === c.b[i]);
      await agree('matmul', () => {
        const a = tf.tensor(as, c.a);
        const b = tf.tensor(bs, c.b);
        const plain = tf.matMul(a, b, c.tA, c.tB);
        const cols = plain.shape[plain.rank - 1];
        const bias = tf.linspace(-1, 1, cols);
        const fused = (['relu', 'sigmoid', 'elu', 'relu6', 'leakyrelu', 'linear'] as const).map((activation) =>
          tf.fused.matMul({ a, b, transposeA: c.tA, transposeB: c.tB, bias, activation, leakyreluAlpha: 0.3 }),
        );
        const scalarBias = tf.fused.matMul({ a, b, transposeA: c.tA, transposeB: c.tB, bias: tf.scalar(0.25), activation: 'relu' });
        // A bias per row is not a native case: it must fall back to wasm and still be right.
        const rowBias = tf.fused.matMul({ a, b, transposeA: c.tA, transposeB: c.tB, bias: tf.ones([plain.shape[plain.rank - 2], 1]), activation: 'linear' });
        // TF.js has no gradient for a matmul whose batch broadcasts; the others are checked.
        const grads = sameBatch
          ? tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
              tf.fused.matMul({ a: x, b: y, transposeA: c.tA, transposeB: c.tB, bias: z, activation: 'relu' }).square().sum(),
            )([a, b, bias])
          : [];
        return [plain, ...fused, scalarBias, rowBias, ...grads];
      });
    });
  }

  it('an inner-size mismatch is an error naming both shapes', async () => {
    await tf.setBackend('native');
    assert.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 2])), /inner shapes \(3\) and \(4\)/);
    await tf.setBackend('cpu');
  });

  it('leaves nothing behind on the heap', async () => {
    await noLeaks(() => {
      const a = tf.tensor(values(12, 1), [2, 2, 3]);
      const b = tf.tensor(values(6, 2), [3, 2]);
      const bias = tf.ones([2]);
      const flat = a.reshape([4, 3]);
      const out = [tf.matMul(a, b), tf.fused.matMul({ a: flat, b, bias, activation: 'relu' })];
      tf.dispose([a, b, bias, flat]);
      return out;
    });
  });
});

for (const way of convolutionWays) {
describe(`native convolution (${way}) against cpu: values and both gradients`, { skip }, () => {
  before(() => addon?.convolutionMode(way));
  after(() => addon?.convolutionMode('auto'));

  const cases: (ConvCase & { tolerance?: number })[] = [
    ...convCases,
    { name: 'one output channel, 32 in', x: [2, 6, 6, 32], filter: [3, 3, 32, 1], strides: [1, 1], pad: 'same' },
    { name: 'dilation 2', x: [2, 9, 8, 2], filter: [3, 3, 2, 3], strides: [1, 1], pad: 'same', dilations: [2, 2] },
    { name: 'fewer output channels, stride 2 on odd sizes (the input-grid way)', x: [2, 9, 7, 8], filter: [3, 3, 8, 2], strides: [2, 2], pad: 'same' },
    { name: 'fewer output channels, valid 3x2 (the input-grid way)', x: [2, 8, 7, 6], filter: [3, 2, 6, 2], strides: [1, 1], pad: 'valid' },
    // Each filter gradient here sums 71,680 products of size ~1 to a few units: float rounding in
    // another order (oneDNN's) moves it by ~1e-3, hence the looser tolerance.
    { name: 'im2col over a batch split into workspace chunks', x: [70, 32, 32, 8], filter: [3, 3, 8, 16], strides: [1, 1], pad: 'same', tolerance: 1e-3 },
    { name: 'the input-grid way over a batch split into workspace chunks', x: [70, 32, 32, 16], filter: [3, 3, 16, 8], strides: [1, 1], pad: 'same', tolerance: 1e-3 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const xs = values(size(c.x), 1);
      const ws = values(size(c.filter), 2);
      const cpu = await agree(
        c.name,
        () => {
          const x = tf.tensor4d(xs, c.x as [number, number, number, number]);
          const w = tf.tensor4d(ws, c.filter as [number, number, number, number]);
          const y = tf.conv2d(x, w, c.strides, c.pad as 'same', 'NHWC', c.dilations ?? 1);
          const bias = tf.linspace(-0.5, 0.5, c.filter[3]);
          const fused = tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad as 'same', dilations: c.dilations ?? 1, bias, activation: 'relu' });
          // TF.js has no gradient for dilated convolutions: forward only there.
          if (c.dilations !== undefined) return [y, fused];
          // The loss sum(conv(x, w)^2) / 2 sends its gradient through Conv2DBackpropInput and Conv2DBackpropFilter.
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as 'same', 'NHWC', c.dilations ?? 1).square().sum().div(2))([x, w]);
          return [y, fused, dx, dw];
        },
        c.tolerance ?? 1e-4,
      );
      assert.ok(cpu[cpu.length - 1].some((v) => Math.abs(v) > 1e-3), 'the last output is not all zeros');
    });
  }

  it('transposed convolution, stride 2 (the decoder layer) and its gradients', async () => {
    const xs = values(3 * 5 * 4 * 6, 3);
    const ws = values(3 * 3 * 4 * 6, 4);
    await agree(
      'conv2dTranspose',
      () => {
        const x = tf.tensor4d(xs, [3, 5, 4, 6]);
        const w = tf.tensor4d(ws, [3, 3, 4, 6]);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [3, 10, 8, 4], 2, 'same');
        return [f(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).square().sum())([x, w])];
      },
      1e-4,
    );
  });

  if (way === 'oneDNN') {
    it('ran these on oneDNN, but for the shapes it cannot run, saying why', () => {
      const choices = addon!.convolutionChoices();
      const refused = choices.filter((c) => c.why !== '');
      assert.ok(choices.length - refused.length >= 20, `oneDNN ran ${choices.length - refused.length} shapes and passes`);
      for (const c of refused) assert.match(c.why, /negative padding/, `shape [${c.shape}] ${c.pass}`);
      assert.ok(refused.some((c) => c.shape.slice(0, 7).join() === '1,6,9,3,2,4,2'), "the 'valid' case whose stride skips the last column is refused");
    });
  }

  it('leaves nothing behind on the heap (forward and both gradients)', async () => {
    await noLeaks(() => {
      const x = tf.tensor4d(values(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
      const w = tf.tensor4d(values(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
      const out = [tf.conv2d(x, w, 1, 'same'), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w])];
      tf.dispose([x, w]);
      return out;
    });
  });
});
}

describe('native max pooling, sums and Adam against cpu', { skip }, () => {
  const pools: { name: string; x: number[]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
    { name: '2x2 stride 2 same on odd sizes', x: [2, 7, 5, 3], size: 2, stride: 2, pad: 'same' },
    { name: '3x3 stride 2 valid', x: [1, 9, 8, 2], size: 3, stride: 2, pad: 'valid' },
    { name: '2x1 (1-D) stride 2', x: [3, 11, 1, 4], size: 2, stride: 2, pad: 'same' },
  ];
  for (const p of pools) {
    it(`max pool ${p.name}, with ties from a relu, and its gradient`, async () => {
      const xs = values(size(p.x), 5);
      await agree(`maxPool ${p.name}`, () => {
        // relu makes windows of equal zeros: the gradient must go where cpu sends it.
        const x = tf.relu(tf.tensor4d(xs, p.x as [number, number, number, number]));
        const filter: [number, number] = p.x[2] === 1 ? [p.size, 1] : [p.size, p.size];
        const strides: [number, number] = p.x[2] === 1 ? [p.stride, 1] : [p.stride, p.stride];
        const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, filter, strides, p.pad);
        const weights = tf.tensor(values(size(f(x).shape), 6), f(x).shape);
        return [f(x), tf.grad((a: tf.Tensor) => f(a).mul(weights).sum())(x)];
      });
    });
  }

  it('sums over leading axes, trailing axes, all axes, with keepDims; other cases fall back to wasm', async () => {
    const xs = values(4 * 3 * 5 * 2, 9);
    await agree('sum', () => {
      const x = tf.tensor4d(xs, [4, 3, 5, 2]);
      const xi = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
      return [
        x.sum([0, 1, 2]),
        x.sum(0),
        x.sum([2, 3]),
        x.sum(-1, true),
        x.sum(),
        x.sum([0, 1], true),
        x.sum(1),
        x.sum([0, 2]),
        xi.sum(0).cast('float32'),
        tf.zeros([0, 3]).sum(0),
      ];
    });
  });

  it('fused Adam gives the unfused update, step after step', async () => {
    const shapes = [[7, 3], [5], [2, 2, 3]];
    const run = () => {
      const variables = shapes.map((s, i) => ({ name: `v${i}`, variable: tf.variable(tf.tensor(values(size(s), 20 + i), s)) }));
      const optimizer = new Optimizer(variables, { name: 'adam', learningRate: 0.01 });
      for (let step = 0; step < 4; step++) {
        const grads = Object.fromEntries(variables.map(({ variable }, i) => [variable.name, tf.tensor(values(size(shapes[i]), 100 * step + i), shapes[i])]));
        optimizer.apply(grads);
        tf.dispose(Object.values(grads));
      }
      const out = [...variables.map((v) => v.variable.clone()), ...optimizer.stateTensors().map((t) => t.tensor.clone())];
      optimizer.dispose();
      for (const v of variables) v.variable.dispose();
      return out;
    };
    await tf.setBackend('native');
    assert.ok(tf.getKernel(adamKernelName, 'native') !== undefined, 'native registers the fused Adam kernel');
    await agree('adam', run, 1e-5);
  });

  it('Adam updates unshared variables in place in one call, and a variable that shares its data into new buffers', async () => {
    await tf.setBackend('native');
    const shapes = [[7, 3], [5], [2, 2, 3]];
    const kept = tf.tensor(values(5, 41), [5]);
    // v0 and v2 own their data; v1 shares it with `kept`, which must keep its values.
    const variables = shapes.map((s, i) => ({ name: `w${i}`, variable: i === 1 ? tf.variable(kept) : tf.tidy(() => tf.variable(tf.tensor(values(size(s), 40 + i), s))) }));
    const before = variables.map(({ variable }) => variable.dataSync().slice());
    const optimizer = new Optimizer(variables, { name: 'adam', learningRate: 0.01 });
    const grads = Object.fromEntries(variables.map(({ variable }, i) => [variable.name, tf.tensor(values(size(shapes[i]), 50 + i), shapes[i])]));
    const numTensors = tf.memory().numTensors;
    const profile = await tf.profile(() => optimizer.apply(grads));
    const names = profile.kernels.map((k) => k.name);
    assert.deepEqual(names.filter((n) => n === adamInPlaceKernelName).length, 1, 'one in-place call for the unshared variables');
    assert.deepEqual(names.filter((n) => n === adamKernelName).length, 1, 'the shared variable through the per-variable kernel');
    assert.equal(tf.memory().numTensors, numTensors, 'no tensor leaked');
    assert.deepEqual(Array.from(kept.dataSync()), Array.from(before[1]), 'the tensor that shared its data with a variable kept its values');
    // Adam's first step moves every element by about the rate (m / sqrt(v) = sign(g) at step 1).
    for (const [i, { variable }] of variables.entries()) {
      const after = variable.dataSync(), g = grads[variable.name].dataSync();
      for (let j = 0; j < after.length; j++) assert.ok(Math.abs(after[j] - (before[i][j] - 0.01 * Math.sign(g[j]))) < 1e-6, `w${i}[${j}] moved by the rate against its gradient`);
    }
    // Now v1 owns its data too: the next step is one in-place call for all three.
    const second = await tf.profile(() => optimizer.apply(grads));
    assert.deepEqual(second.kernels.map((k) => k.name), [adamInPlaceKernelName]);
    tf.dispose([kept, ...Object.values(grads)]);
    optimizer.dispose();
    for (const v of variables) v.variable.dispose();
  });

  it('the in-place Adam kernel refuses shared data, a missing input and a wrong size, writing nothing', async () => {
    await tf.setBackend('native');
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3])));
    const m = tf.tidy(() => tf.variable(tf.zeros([3])));
    const v = tf.tidy(() => tf.variable(tf.zeros([3])));
    const g = tf.tensor1d([1, 1, 1]);
    const attrs = { rates: [0.1], beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const run = (inputs: Record<string, tf.Tensor>, a: tf.NamedAttrMap = attrs) => () => tf.engine().runKernel(adamInPlaceKernelName, inputs, a);
    const shared = tf.clone(w);
    assert.throws(run({ variable0: w, m0: m, v0: v, gradient0: g }), /ReplearnAdamInPlace: variable0 shares its data with another tensor, so it cannot be written in place/);
    shared.dispose();
    assert.throws(run({ variable0: w, m0: m, v0: v }), /ReplearnAdamInPlace: input gradient0 is missing \(1 rates given\)/);
    assert.throws(run({ variable0: w, m0: m, v0: v, gradient0: tf.tensor1d([1, 1]) }), /ReplearnAdamInPlace: gradient0 must be float32 with 3 elements, like variable0/);
    assert.throws(run({ variable0: w, m0: m, v0: v, gradient0: g, extra: g }), /ReplearnAdamInPlace: 5 inputs for 1 rates \(four per variable\)/);
    assert.deepEqual(Array.from(w.dataSync()), [1, 2, 3], 'nothing was written');
    run({ variable0: w, m0: m, v0: v, gradient0: g })();
    // The kernel's rate has no bias correction (the Optimizer folds it in): from m = v = 0 and g = 1,
    // m = 0.1, v = 0.001, and each element moves by 0.1 * 0.1 / sqrt(0.001).
    const step = (0.1 * 0.1) / Math.sqrt(0.001);
    assert.ok(Array.from(w.dataSync()).every((x, i) => Math.abs(x - (i + 1 - step)) < 1e-5), `a valid call moves each element by ${step}: ${w.dataSync()}`);
    assert.ok(Array.from(m.dataSync()).every((x) => Math.abs(x - 0.1) < 1e-7) && Array.from(v.dataSync()).every((x) => Math.abs(x - 0.001) < 1e-7), 'the moments were written in place');
    tf.dispose([w, m, v, g]);
  });
});

describe('fused dense layers and binary cross-entropy: one kernel forward, fused gradients, against cpu', { skip }, () => {
  /** A dense layer over plain tensors (applyDense reads only these fields). */
  const layer = (w: tf.Tensor2D, b: tf.Tensor1D, activation: 'linear' | 'relu') => ({ weight: w, bias: b, activation, inputDim: w.shape[0], outputDim: w.shape[1] }) as unknown as DenseLayer;

  for (const activation of ['linear', 'relu'] as const) {
    it(`a ${activation} dense layer: values and the gradients of x, weight and bias`, async () => {
      const [xs, ws, bs, us] = [values(9 * 13, 31), values(13 * 6, 32), values(6, 33), values(9 * 6, 34)];
      const cpu = await agree(`dense ${activation}`, () => {
        const [x, w, b, u] = [tf.tensor2d(xs, [9, 13]), tf.tensor2d(ws, [13, 6]), tf.tensor1d(bs), tf.tensor2d(us, [9, 6])];
        // A loss whose gradient differs per element, so that a wrong mask or transpose shows.
        const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => applyDense(layer(c as tf.Tensor2D, d as tf.Tensor1D, activation), a as tf.Tensor2D).mul(u).sum();
        return [applyDense(layer(w, b, activation), x), ...tf.grads(f)([x, w, b])];
      });
      if (activation === 'relu') assert.ok(cpu[0].some((v) => v === 0) && cpu[0].some((v) => v > 0), 'the ReLU cuts some outputs and passes others');
      assert.ok(cpu[3].every((v) => Number.isFinite(v)) && cpu[3].some((v) => Math.abs(v) > 1e-3), 'the bias gradient is not all zeros');
    });
  }

  for (const [activation, strides] of [['relu', [1, 1]], ['linear', [2, 2]], ['relu', [2, 1]]] as const) {
    it(`a ${activation} convolution layer, strides [${strides}], and a transposed one: values and every gradient`, async () => {
      const [xs, ws, bs, ts, tbs] = [values(3 * 7 * 6 * 4, 61), values(3 * 3 * 4 * 5, 62), values(5, 63), values(3 * 3 * 2 * 5, 64), values(2, 65)];
      const cpu = await agree(
        `conv layer ${activation} ${strides}`,
        () => {
          const [x, w, b, t, tb] = [tf.tensor4d(xs, [3, 7, 6, 4]), tf.tensor4d(ws, [3, 3, 4, 5]), tf.tensor1d(bs), tf.tensor4d(ts, [3, 3, 2, 5]), tf.tensor1d(tbs)];
          // conv (4 -> 5 channels), then a transposed conv back (5 -> 2), weighted so every gradient element differs.
          const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor, k: tf.Tensor) => {
            const h = applyConv({ filter: c, bias: d, strides, activation } as unknown as ConvLayer, a as tf.Tensor4D);
            const out = applyConvTranspose({ filter: e, bias: k, strides, activation } as unknown as ConvTransposeLayer, h);
            return out.mul(tf.linspace(-1, 2, out.size).reshape(out.shape)).sum();
          };
          const h = applyConv({ filter: w, bias: b, strides, activation } as unknown as ConvLayer, x);
          return [h, ...tf.grads(f)([x, w, b, t, tb])];
        },
        1e-4,
      );
      if (activation === 'relu') assert.ok(cpu[0].some((v) => v === 0) && cpu[0].some((v) => v > 0), 'the ReLU cuts some outputs and passes others');
      for (const [i, name] of ['dx', 'dw', 'db', 'dt', 'dtb'].entries()) assert.ok(cpu[i + 1].some((v) => Math.abs(v) > 1e-3), `${name} is not all zeros`);
    });
  }

  it('runs as one kernel on native (none elsewhere), and a NaN input gives a NaN gradient as on cpu', async () => {
    await tf.setBackend('cpu');
    const [x, w, b] = [tf.tensor2d([[1, Number.NaN]]), tf.tensor2d([[1], [1]]), tf.tensor1d([0])];
    assert.equal(nativeDense(x, w, b, 'relu'), null, 'cpu has no fused dense kernel');
    const gradients = async () => {
      const [, dw, db] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => applyDense(layer(c as tf.Tensor2D, d as tf.Tensor1D, 'relu'), a as tf.Tensor2D).sum())([x, w, b]);
      return [...(await dw.data()), ...(await db.data())];
    };
    const onCpu = await gradients();
    await tf.setBackend('native');
    const y = nativeDense(x, w, b, 'relu');
    assert.ok(y !== null && y.shape.join() === '1,1');
    const onNative = await gradients();
    assert.ok(onCpu.every(Number.isNaN), `cpu: ${onCpu}`);
    assert.ok(onNative.every(Number.isNaN), `native: ${onNative}`);
    tf.dispose([x, w, b, y!]);
    await tf.setBackend('cpu');
  });

  it('binary cross-entropy with logits from -100 to 100: values and both gradients', async () => {
    const logits = [-100, -30, -8, -1, -1e-6, 0, 1e-6, 0.5, 3, 17, 88, 100];
    const rows = 3;
    const ls = Float32Array.from({ length: rows * logits.length }, (_, i) => logits[i % logits.length] * (1 + 0.1 * Math.floor(i / logits.length)));
    const xs = Float32Array.from(values(ls.length, 41), (v) => (v + 1) / 2);
    const ws = values(rows, 42);
    const cpu = await agree(
      'bce',
      () => {
        const [l, x, u] = [tf.tensor2d(ls, [rows, logits.length]), tf.tensor2d(xs, [rows, logits.length]), tf.tensor1d(ws)];
        const f = (a: tf.Tensor, c: tf.Tensor) => binaryCrossEntropyWithLogitsPerExample(c as tf.Tensor2D, a as tf.Tensor2D).mul(u).sum();
        return [binaryCrossEntropyWithLogitsPerExample(x, l), ...tf.grads(f)([l, x])];
      },
      2e-6,
    );
    assert.ok(cpu[0].every((v) => v > 1), 'each row has a sizeable loss');
  });

  it("a VAE's reparameterised sample and closed-form KL: values and the gradients of mean, logVar and eps", async () => {
    const [ms, ls, es, ws] = [values(6 * 3, 81), values(6 * 3, 82).map((v) => 3 * v), values(6 * 3, 83), values(6 * 3, 84)];
    const cpu = await agree('gaussian', () => {
      const [m, l, e, w] = [tf.tensor2d(ms, [6, 3]), tf.tensor2d(ls, [6, 3]), tf.tensor2d(es, [6, 3]), tf.tensor2d(ws, [6, 3])];
      // The two share mean and logVar, as in a VAE's loss, so their gradients add up on the tape.
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const q = { mean: a as tf.Tensor2D, logVar: b as tf.Tensor2D };
        return reparameterize(q, c as tf.Tensor2D).mul(w).sum().add(standardNormalKl(q).mul(3));
      };
      const q = { mean: m, logVar: l };
      return [reparameterize(q, e), standardNormalKlPerExample(q), ...tf.grads(f)([m, l, e])];
    });
    assert.ok(cpu.every((out) => out.some((v) => Math.abs(v) > 1e-3)), 'no output is all zeros');
    await tf.setBackend('cpu');
    assert.equal(nativeGaussianKl(tf.zeros([1, 1]), tf.zeros([1, 1])), null, 'cpu has no fused KL kernel');
  });

  it('refuses mismatched shapes, naming the kernel', async () => {
    await tf.setBackend('native');
    const [a, c] = [tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([3, 2]) as tf.Tensor2D];
    assert.throws(() => nativeBceWithLogits(a, c), /ReplearnBce: logits and x must be float32 of one 2-D shape/);
    assert.throws(() => nativeGaussianKl(a, c), /ReplearnGaussianKl: logVar must be float32 \[2,3\], got float32 \[3,2\]/);
    assert.throws(() => nativeDense(a, c, tf.zeros([3]) as tf.Tensor1D, 'relu'), /ReplearnDense: needs x \[batch, in\], weight \[in, out\] and bias \[out\]/);
    tf.dispose([a, c]);
    await tf.setBackend('cpu');
  });

  it('leaves nothing behind on the heap (forward and gradients)', async () => {
    await noLeaks(() => {
      const [x, w, b] = [tf.tensor2d(values(8 * 5, 51), [8, 5]), tf.tensor2d(values(5 * 4, 52), [5, 4]), tf.tensor1d(values(4, 53))];
      const target = tf.tensor2d(values(8 * 4, 54).map(Math.abs), [8, 4]);
      const eps = tf.tensor2d(values(8 * 4, 55), [8, 4]);
      const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
        const h = applyDense(layer(c as tf.Tensor2D, d as tf.Tensor1D, 'relu'), a as tf.Tensor2D);
        const q = { mean: h, logVar: h.mul(0.1) as tf.Tensor2D };
        return binaryCrossEntropyWithLogitsPerExample(target, reparameterize(q, eps)).sum().add(standardNormalKl(q));
      };
      const out = tf.grads(f)([x, w, b]);
      tf.dispose([x, w, b, target, eps]);
      return out;
    });
  });
});

describe('native identity', { skip }, () => {
  it('shares the data instead of copying it, and the copy outlives the original', async () => {
    await tf.setBackend('native');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const ids = backend.numDataIds();
    const y = tf.clone(x);
    assert.equal(backend.numDataIds(), ids, 'no new buffer');
    x.dispose();
    assert.deepEqual([...(await y.data())], [1, 2, 3, 4, 5, 6]);
    y.dispose();
    assert.equal(backend.numDataIds(), ids - 1, 'the buffer is freed with the last reference');
    await tf.setBackend('cpu');
  });
});

describe('the addon itself', { skip }, () => {
  /** A plain 2 x 2 by 2 x 2 product: A at float 0, B at 4, the result at 8. */
  const product: AddonParams<'gemm'> = {
    batch: 1,
    transposeA: false,
    transposeB: false,
    m: 2,
    n: 2,
    k: 2,
    aOffset: 0,
    aBatchStride: 0,
    bOffset: 4,
    bBatchStride: 0,
    outOffset: 8,
    biasOffset: -1,
    biasLength: 0,
    activation: 'linear',
    leakyreluAlpha: 0,
  };

  it('refuses offsets outside the heap with an error instead of writing there', () => {
    const heap = new Uint8Array(64 * 4);
    assert.throws(() => addon!.gemm(heap, { ...product, m: 4, n: 4, k: 4, bOffset: 16, outOffset: 60 }), /C: range \[60, 76\) lies outside the heap of 64 floats/);
    assert.throws(() => addon!.sumRows(heap, { xOffset: -1, outOffset: 0, outer: 2, inner: 2, leading: true }), /x: range/);
  });

  it('refuses a positional call with the wrong count or type of arguments, naming the parameter', () => {
    const raw = requireNativeAddon();
    const heap = new Uint8Array(64 * 4);
    assert.throws(() => raw.gemm(heap, 1), /replearn native gemm: expected 16 arguments, got 2/);
    const args = addonSignatures.gemm.map(() => 0);
    args[addonSignatures.gemm.findIndex(([name]) => name === 'aBatchStride')] = 0.5;
    assert.throws(() => raw.gemm(heap, ...args), /replearn native gemm: aBatchStride \(argument 8\) must be an integer/);
  });

  it('declares the signatures replearn passes, and is refused when they differ', () => {
    const raw = requireNativeAddon();
    assert.deepEqual(
      raw.signatures(),
      Object.fromEntries(addonFunctions.map((fn) => [fn, addonSignatures[fn].map(([name]) => name)])),
    );
    const swapped = { ...raw, signatures: () => ({ ...raw.signatures(), adam: ['mOffset', 'variableOffset', ...raw.signatures().adam.slice(2)] }) };
    assert.throws(() => bindAddon(swapped, nativeAddonPath()), /does not match this replearn: its adam takes \(mOffset, variableOffset, .*\), replearn passes \(variableOffset, mOffset, .*\); rebuild it with npm run setup/);
  });

  it('works on a heap view that starts at a byte offset', () => {
    const buffer = new ArrayBuffer(64 * 4);
    const heap = new Uint8Array(buffer, 16, 48 * 4);
    const floats = new Float32Array(buffer, 16, 48);
    floats.set([1, 2, 3, 4], 0); // A = [[1, 2], [3, 4]]
    floats.set([5, 6, 7, 8], 4); // B = [[5, 6], [7, 8]]
    addon!.gemm(heap, product);
    assert.deepEqual([...floats.subarray(8, 12)], [19, 22, 43, 50]);
    floats.set([0.5, -1], 16);
    addon!.gemm(heap, { ...product, transposeA: true, biasOffset: 16, biasLength: 2, activation: 'relu' });
    // A^T B = [[26, 30], [38, 44]], plus [0.5, -1] per column.
    assert.deepEqual([...floats.subarray(8, 12)], [26.5, 29, 38.5, 43]);
  });

  it('reads REPLEARN_CONVOLUTION (default auto, any case) and rejects nonsense', () => {
    assert.equal(nativeConvolutionMode({}), 'auto');
    assert.equal(nativeConvolutionMode({ REPLEARN_CONVOLUTION: 'onednn' }), 'oneDNN');
    assert.equal(nativeConvolutionMode({ REPLEARN_CONVOLUTION: ' IM2COL ' }), 'im2col');
    assert.throws(() => nativeConvolutionMode({ REPLEARN_CONVOLUTION: 'fast' }), /REPLEARN_CONVOLUTION must be auto, oneDNN or im2col, got "fast"/);
    assert.throws(() => addon!.convolutionMode('fast' as never), /mode must be im2col \| oneDNN \| auto, got "fast"/);
  });

  it(`auto: times both ways on the first calls of a shape, keeps the faster, and gives cpu's values on every call (${oneDnn || 'no oneDNN: im2col only'})`, async () => {
    // A shape no other test uses, so that its measurement starts here.
    const xs = values(5 * 11 * 10 * 3, 71);
    const ws = values(3 * 3 * 3 * 7, 72);
    const conv = () => [tf.conv2d(tf.tensor4d(xs, [5, 11, 10, 3]), tf.tensor4d(ws, [3, 3, 3, 7]), 1, 'same')];
    assert.equal(addon!.convolutionMode('auto'), 'auto');
    const reference = await on('cpu', conv);
    for (let call = 0; call < 10; call++) checkClose((await on('native', conv))[0], reference[0], 1e-4, `auto call ${call}`);
    const choice = addon!.convolutionChoices().find((c) => c.pass === 'forward' && c.shape.slice(0, 7).join() === '5,11,10,3,3,3,7');
    if (oneDnn === '') {
      assert.equal(choice, undefined, 'without oneDNN nothing is measured');
      return;
    }
    assert.ok(choice !== undefined, 'the shape was measured');
    assert.ok(choice.way === 'oneDNN' || choice.way === 'im2col', `decided after 10 calls: ${JSON.stringify(choice)}`);
    assert.ok(choice.oneDnnMs > 0 && choice.im2colMs > 0, 'both ways were timed');
    assert.equal(choice.way, choice.oneDnnMs <= choice.im2colMs ? 'oneDNN' : 'im2col', 'the faster way by median is kept');
  });

  it('reads REPLEARN_NATIVE_THREADS (default: the cores, at most 4) and rejects nonsense', () => {
    assert.equal(nativeThreads({}, 2), 2);
    assert.equal(nativeThreads({}, 16), 4);
    assert.equal(nativeThreads({ REPLEARN_NATIVE_THREADS: ' ' }, 1), 1);
    assert.equal(nativeThreads({ REPLEARN_NATIVE_THREADS: '2' }), 2);
    assert.throws(() => nativeThreads({ REPLEARN_NATIVE_THREADS: 'two' }), /REPLEARN_NATIVE_THREADS must be a positive integer, got "two"/);
  });

  it('names the OpenBLAS kernels by the instructions the CPU reports, and only those it has', () => {
    const flags = (s: string) => new Set(s.split(' '));
    const skylake = 'sse4_2 avx avx2 fma avx512f avx512bw avx512dq avx512vl';
    assert.equal(openblasCoreType(flags(`${skylake} avx512_bf16 amx_tile`)), 'SkylakeX');
    assert.equal(openblasCoreType(flags(skylake)), 'SkylakeX');
    assert.equal(openblasCoreType(flags('sse4_2 avx avx2 fma avx512f')), 'Haswell'); // AVX-512 without BW/DQ/VL
    assert.equal(openblasCoreType(flags('sse4_2 avx avx2 fma')), 'Haswell');
    assert.equal(openblasCoreType(flags('sse4_2 avx avx2')), undefined); // no FMA
    assert.equal(openblasCoreType(new Set()), undefined);
  });
});

describe('registration', { skip }, () => {
  it('nativeKernelNames are exactly the kernels native runs differently from wasm', () => {
    const own = tf
      .getKernelsForBackend('native')
      .filter((k) => k.kernelFunc !== tf.getKernel(k.kernelName, 'wasm')?.kernelFunc)
      .map((k) => k.kernelName);
    assert.deepEqual([...own].sort(), [...nativeKernelNames].sort());
    assert.ok(nativeKernelNames.includes(adamKernelName) && nativeKernelNames.includes('Conv2DBackpropFilter'));
    const wasmNames = tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
    for (const name of wasmNames) assert.ok(tf.getKernel(name, 'native') !== undefined, `native has wasm's ${name}`);
  });
});

describe('training gradients of every notebook model: native against cpu', { skip }, () => {
  for (const m of notebookModels) it(m.name, () => assertGradientsMatchCpu('native', m));
});


describe('the addon outside TF.js: LAPACK for PCA, products for k-means', { skip }, () => {
  /** A symmetric positive semi-definite d x d matrix B^T B, B random `rows x d`, with a spread spectrum. */
  function covarianceLike(d: number, rows: number, seed: number): Float64Array {
    const random = new Random(seed);
    const b = Float64Array.from({ length: rows * d }, (_, i) => random.normal() * (3 / (1 + (i % d))));
    const c = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let r = 0; r < rows; r++) c[i * d + j] += b[r * d + i] * b[r * d + j];
    return c;
  }

  it('symmetricEigen (dsyevr) gives the largest eigenpairs the JavaScript eigensolver gives', () => {
    const d = 60;
    const count = 7;
    const matrix = covarianceLike(d, 200, 11);
    const before = Float64Array.from(matrix);
    const values = new Float64Array(count);
    const vectors = new Float64Array(count * d);
    assert.equal(addon!.symmetricEigen(matrix, d, count, values, vectors), true, 'this OpenBLAS has LAPACK');
    assert.deepEqual(matrix, before, 'the matrix is only read');
    const reference = symmetricEigen(matrix, d);
    for (let i = 0; i < count; i++) {
      assert.ok(Math.abs(values[i] - reference.values[i]) <= 1e-10 * reference.values[0], `value ${i}: ${values[i]} against ${reference.values[i]}`);
      let dotted = 0;
      for (let j = 0; j < d; j++) dotted += vectors[i * d + j] * reference.vectors[i * d + j];
      assert.ok(Math.abs(Math.abs(dotted) - 1) < 1e-9, `vector ${i}: |cos| = ${Math.abs(dotted)}`);
    }
    assert.throws(() => addon!.symmetricEigen(matrix, d, d + 1, values, vectors), /replearn native symmetricEigen: count must be an integer in 1\.\.n/);
    assert.throws(() => addon!.symmetricEigen(matrix, d + 1, 2, values, vectors), /matrix must hold n \* n values/);
    assert.throws(() => addon!.symmetricEigen(matrix, d, 2, new Float64Array(1), vectors), /values and vectors must hold count and count \* n values/);
    assert.throws(() => addon!.symmetricEigen(Float32Array.from(matrix) as unknown as Float64Array, d, 2, values, vectors), /matrix must be a Float64Array/);
  });

  it('Pca.fit on native (LAPACK, exact) agrees with cpu (subspace iteration) on 150 dimensions', async () => {
    const d = 150;
    const n = 400;
    const random = new Random(5);
    const x = Float32Array.from({ length: n * d }, (_, i) => 2 + random.normal() * (4 / (1 + (i % d))));
    const fit = async (backend: string) => {
      await tf.setBackend(backend);
      const pca = await Pca.fit(tf.tensor2d(x, [n, d]), { components: 5, tolerance: 1e-10 });
      const result = { values: pca.explainedVariance, basis: await pca.basis.data(), iterations: pca.iterations, total: pca.totalVariance };
      pca.dispose();
      return result;
    };
    const cpu = await fit('cpu');
    const native = await fit('native');
    await tf.setBackend('cpu');
    assert.ok(cpu.iterations > 0, 'cpu ran the subspace method');
    assert.equal(native.iterations, 0, 'native took the exact path');
    assert.ok(Math.abs(native.total - cpu.total) < 1e-5 * cpu.total, `total variance ${native.total} against ${cpu.total}`);
    for (let i = 0; i < 5; i++) {
      assert.ok(Math.abs(native.values[i] - cpu.values[i]) < 1e-4 * cpu.values[i], `variance ${i}: ${native.values[i]} against ${cpu.values[i]}`);
      let dotted = 0;
      for (let j = 0; j < d; j++) dotted += native.basis[i * d + j] * cpu.basis[i * d + j];
      assert.ok(dotted > 0.999, `axis ${i}: cos ${dotted} (the sign convention is the same on both)`);
    }
  });

  it('kMeans: the native engine gives the bounds engine\'s assignments, centroids and inertia', () => {
    for (const [n, dim, k, overlap] of [
      [1500, 8, 6, 1.5],
      [3000, 32, 10, 0.7],
      [400, 3, 25, 3],
    ]) {
      const random = new Random(n + dim);
      const z = Float32Array.from({ length: n * dim }, (_, i) => (i % dim === Math.floor(i / dim) % k ? overlap : 0) + random.normal());
      const points = { z, count: n, latentDim: dim };
      const bounds = kMeans(points, k, { seed: 3, restarts: 3, engine: 'bounds' });
      const native = kMeans(points, k, { seed: 3, restarts: 3, engine: 'native' });
      assert.deepEqual(native.assignments, bounds.assignments, `${n} x ${dim}, k ${k}: assignments`);
      assert.equal(native.inertia, bounds.inertia, `${n} x ${dim}, k ${k}: inertia`);
      assert.equal(native.iterations, bounds.iterations);
      assert.deepEqual(native.centroids, bounds.centroids);
    }
  });
});
