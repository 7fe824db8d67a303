import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { Random } from '../../src/core/random';
import { ConvAutoencoder } from '../../src/models/conv-autoencoder';
import { ConvAutoencoder1d } from '../../src/models/conv-autoencoder-1d';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import type { TrainableModel } from '../../src/models/model';
import { Vae } from '../../src/models/vae';

/** `n` seeded values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => 2 * r.next() - 1);
}

/** Runs `f` on `backend` and reads every output back to the host. */
export async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = f();
  const read = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return read;
}

/** One 2-D convolution (NHWC) to check a backend's kernels with. */
export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
  dilations?: [number, number];
}

/** Strides, odd sizes, valid, same and explicit padding, a 1-D kernel and a 1x1 kernel. */
export const convCases: ConvCase[] = [
  { name: '3x3 same stride 1', x: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { name: '3x3 same stride 2 on odd sizes', x: [3, 9, 7, 2], filter: [3, 3, 2, 5], strides: [2, 2], pad: 'same' },
  { name: '2x4 valid, stride [1, 2]', x: [1, 6, 9, 3], filter: [2, 4, 3, 2], strides: [1, 2], pad: 'valid' },
  { name: 'explicit pad 1, stride 2', x: [2, 8, 9, 1], filter: [3, 3, 1, 3], strides: [2, 2], pad: 1 },
  { name: '1-D as width 1, kernel [5, 1]', x: [4, 17, 1, 2], filter: [5, 1, 2, 3], strides: [1, 1], pad: 'same' },
  { name: '1x1 kernel', x: [2, 4, 4, 6], filter: [1, 1, 6, 2], strides: [1, 1], pad: 'valid' },
];

/** A small instance of every kind of model the notebooks train, with an input shape. */
export const notebookModels: { name: string; make: () => TrainableModel; shape: number[]; training?: boolean }[] = [
  { name: '2-D conv autoencoder (the lecture model)', make: () => new ConvAutoencoder({ inputShape: [28, 28, 1], filters: [32, 32], seed: 1 }), shape: [4, 28, 28, 1] },
  { name: '1-D conv autoencoder with a dense code', make: () => new ConvAutoencoder({ inputShape: [36, 2], filters: [8, 4], kernelSize: 5, latentDim: 3, seed: 2 }), shape: [3, 36, 2] },
  {
    name: '1-D conv autoencoder with batch norm, pooling indices and transposed convolutions (training mode)',
    make: () => new ConvAutoencoder1d({ inputShape: [64, 1], filters: [4, 6], firstKernel: 8, firstStride: 4, latentDim: 3, seed: 6 }),
    shape: [3, 64, 1],
    training: true,
  },
  { name: 'dense autoencoder', make: () => new DenseAutoencoder({ inputDim: 20, hiddenSizes: [12, 6], latentDim: 2, seed: 4 }), shape: [6, 20] },
  { name: 'VAE', make: () => new Vae({ inputDim: 30, hiddenSizes: [16], latentDim: 2, seed: 3 }), shape: [5, 30] },
];

/** The loss and every variable's gradient of a fresh model on `xs`. */
function lossAndGradients(m: (typeof notebookModels)[number], xs: Float32Array): tf.Tensor[] {
  const model = m.make();
  const x = tf.tensor(xs, m.shape);
  const { value, grads } = tf.variableGrads(() => model.computeLoss({ x }, { training: m.training ?? false, step: 0 }).total, model.trainableVariables as tf.Variable[]);
  const out = [value, ...model.trainableVariables.map((v) => grads[v.name])];
  model.dispose();
  x.dispose();
  return out;
}

/** Asserts that `backend` gives the cpu backend's training loss (1e-5) and gradients (2e-4) for model `m`. */
export async function assertGradientsMatchCpu(backend: string, m: (typeof notebookModels)[number]): Promise<void> {
  const xs = values(m.shape.reduce((a, b) => a * b, 1), 5).map((v) => (v + 1) / 2);
  const cpu = await on('cpu', () => lossAndGradients(m, xs));
  const other = await on(backend, () => lossAndGradients(m, xs));
  assert.equal(other.length, cpu.length);
  checkClose(other[0], cpu[0], 1e-5, `${m.name} loss`);
  for (let i = 1; i < cpu.length; i++) checkClose(other[i], cpu[i], 2e-4, `${m.name} gradient ${i}`);
}
