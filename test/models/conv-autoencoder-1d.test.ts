import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeSignals } from '../../src/data/signals';
import type { ConvAutoencoder1dConfig } from '../../src/models/conv-autoencoder-1d';
import { ConvAutoencoder1d } from '../../src/models/conv-autoencoder-1d';
import { ConvAutoencoder } from '../../src/models/conv-autoencoder';
import { train } from '../../src/training/trainer';
import { loadWeights, saveWeights } from '../../src/training/weights';

let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-conv1d-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const small: ConvAutoencoder1dConfig = { inputShape: [64, 1], filters: [4, 6], firstKernel: 8, firstStride: 4, latentDim: 3, seed: 1 };
const paramCount = (m: { trainableVariables: readonly tf.Variable[] }) => m.trainableVariables.reduce((a, v) => a + v.size, 0);

describe('ConvAutoencoder1d', () => {
  it('has the lecture layout: a kernel-80 stride-16 stem gives 128 frames of 2048 samples, pooling halves them, the decoder restores 2048', () => {
    const m = new ConvAutoencoder1d({ inputShape: [2048, 1], seed: 1 });
    assert.equal(m.frames, 128);
    assert.deepEqual(m.codeMapShape, [32, 32]);
    const rows = m.summary();
    const shape = (layer: string) => rows.find((r) => r.layer === layer)?.outputShape;
    assert.deepEqual(shape('encoder/0'), [128, 16]);
    assert.deepEqual(shape('encoder/0/pool'), [64, 16]);
    assert.deepEqual(shape('encoder/1/pool'), [32, 32]);
    assert.deepEqual(shape('encoder/code'), [32]);
    assert.deepEqual(shape('decoder/1/unpool'), [128, 16]);
    assert.deepEqual(shape('decoder/1'), [2048, 1]);
    // stem 80*1*16, BN 2*16, conv 3*16*32, BN 2*32, dense 1024*32+32 and 32*1024+1024, convT 3*32*16, BN 2*16, convT 80*16*1+1
    const expected = 1280 + 32 + 1536 + 64 + (1024 * 32 + 32) + (32 * 1024 + 1024) + 1536 + 32 + (1280 + 1);
    assert.equal(paramCount(m), expected);
    assert.equal(rows.reduce((s, r) => s + r.params, 0), expected, 'the summary counts every parameter once');
    assert.deepEqual(m.stateVariables.map((v) => v.name), ['encoder/0/bn/moving_mean', 'encoder/0/bn/moving_variance', 'encoder/1/bn/moving_mean', 'encoder/1/bn/moving_variance', 'decoder/0/bn/moving_mean', 'decoder/0/bn/moving_variance']);
    m.dispose();
  });

  it("builds the lecture's signal model: 32,000 samples, an unpadded stem, four blocks (32, 32, 64, 64), three pools of 4, valid convolutions, a 1,024 code", () => {
    const m = new ConvAutoencoder1d({ inputShape: [32000, 1], filters: [32, 32, 64, 64], firstKernel: 80, firstStride: 16, firstPadding: 0, poolSizes: [4, 4, 4, 1], padding: 'valid', latentDim: 1024, seed: 1 });
    // (32000 - 80) / 16 + 1 = 1996 frames; pool 499; valid conv 497, pool 124; conv 122, pool 30; conv 28.
    assert.equal(m.frames, 1996);
    assert.deepEqual(m.blockLengths, [1996, 497, 122, 28]);
    assert.deepEqual(m.codeMapShape, [28, 64]);
    const convs = 80 * 32 + 64 + (3 * 32 * 32 + 64) + (3 * 32 * 64 + 128) + (3 * 64 * 64 + 128);
    const dense = 28 * 64 * 1024 + 1024 + (1024 * 28 * 64 + 28 * 64);
    const transposed = 3 * 64 * 64 + 128 + (3 * 32 * 64 + 64) + (3 * 32 * 32 + 64) + (80 * 32 + 1);
    assert.equal(convs + dense + transposed, 3_721_601);
    assert.equal(paramCount(m), 3_721_601);
    const rows = m.summary();
    assert.equal(rows.reduce((sum, r) => sum + r.params, 0), 3_721_601);
    const shape = (layer: string) => rows.find((r) => r.layer === layer)?.outputShape;
    assert.deepEqual(shape('encoder/2/pool'), [30, 64]);
    assert.equal(shape('encoder/3/pool'), undefined, 'the last block does not pool');
    assert.deepEqual(shape('decoder/1/unpool'), [122, 64]);
    assert.deepEqual(shape('decoder/3'), [32000, 1]);
    // Two bits (a window of 4) per pooled value and channel: 499*32 + 124*32 + 30*64 values.
    assert.equal(m.indexBits, 2 * (499 * 32 + 124 * 32 + 30 * 64));
    m.dispose();
  });

  it('with valid padding, uneven pools and a block without pooling, round-trips shapes, decodes without indices and learns', async () => {
    const config: ConvAutoencoder1dConfig = { inputShape: [124, 1], filters: [4, 6, 6], firstKernel: 8, firstStride: 4, firstPadding: 0, poolSizes: [2, 2, 1], padding: 'valid', latentDim: 3, seed: 2 };
    const m = new ConvAutoencoder1d(config);
    assert.deepEqual(m.blockLengths, [30, 13, 4]);
    assert.deepEqual(m.codeMapShape, [4, 6]);
    const x = tf.tensor3d(makeSignals({ count: 8, length: 124, noise: 0.05, seed: 3 }).x, [8, 124, 1]);
    const e = m.encodeWithIndices(x);
    assert.deepEqual(e.indices.map((t) => t.shape), [[8, 15, 4], [8, 6, 6]]);
    assert.deepEqual(m.decode(e.z, e.indices).shape, [8, 124, 1]);
    assert.deepEqual(m.decode(e.z).shape, [8, 124, 1]);
    assert.throws(() => m.decode(e.z, e.indices.slice(0, 1)), /expected 2 index tensors \(one per pooling block\), got 1/);
    const optimizer = tf.train.adam(0.01);
    const loss = () => m.computeLoss({ x }, { training: true, step: 0 }).total;
    const first = loss().dataSync()[0];
    for (let i = 0; i < 60; i++) optimizer.minimize(loss, false, m.trainableVariables as tf.Variable[]);
    assert.ok(loss().dataSync()[0] < 0.5 * first, `loss ${first} -> ${loss().dataSync()[0]}`);
    tf.dispose([x, e.z, ...e.indices]);
    optimizer.dispose();
    m.dispose();
  });

  it('encodes, decodes with and without the pooling indices, and reconstructs in the input shape', () => {
    const m = new ConvAutoencoder1d(small);
    const x = tf.randomNormal([5, 64, 1], 0, 1, 'float32', 2);
    assert.deepEqual(m.encode(x).shape, [5, 3]);
    const { z, indices } = m.encodeWithIndices(x);
    assert.deepEqual(indices.map((t) => t.shape), [[5, 8, 4], [5, 4, 6]]);
    assert.deepEqual(m.decode(z, indices).shape, [5, 64, 1]);
    assert.deepEqual(m.decode(z).shape, [5, 64, 1]);
    assert.deepEqual(Array.from(m.reconstruct(x).dataSync()), Array.from(m.decode(z, indices).dataSync()));
    assert.deepEqual(m.reconstruct(x.reshape([5, 64])).shape, [5, 64]);
    tf.dispose([x, z, ...indices]);
    m.dispose();
  });

  it('learns: 60 Adam steps on 8 signals cut the loss by half, and the running statistics move', async () => {
    const data = makeSignals({ count: 8, length: 64, seed: 3 });
    const m = new ConvAutoencoder1d(small);
    const x = tf.tensor3d(data.x, [8, 64, 1]);
    const first = m.computeLoss({ x }, { training: true }).total.dataSync()[0];
    const opt = tf.train.adam(0.01);
    for (let i = 0; i < 60; i++) opt.minimize(() => m.computeLoss({ x }, { training: true }).total, false, m.trainableVariables as tf.Variable[]);
    const last = m.computeLoss({ x }, { training: true }).total.dataSync()[0];
    assert.ok(last < first * 0.5, `loss ${first} -> ${last}`);
    assert.ok(m.stateVariables[0].variable.dataSync().some((v) => v !== 0), 'running mean moved from 0');
    m.dispose();
  });

  it('leaves tf.memory().numTensors unchanged per training step and per embed', () => {
    const m = new ConvAutoencoder1d({ ...small, corruption: { kind: 'gaussian', std: 0.1, clip: false } });
    const x = tf.randomNormal([4, 64, 1], 0, 1, 'float32', 4);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => m.computeLoss({ x }, { training: true, step: 0 }).total, m.trainableVariables as tf.Variable[]);
    tf.dispose([value, grads]);
    m.embed(x).dispose();
    m.reconstruct(x).dispose();
    assert.equal(tf.memory().numTensors, before);
    m.dispose();
  });

  it('a denoising model corrupts only in training, with noise fixed by seed and step, and scores against the clean signal', () => {
    const m = new ConvAutoencoder1d({ ...small, batchNorm: false, corruption: { kind: 'gaussian', std: 0.5, clip: false } });
    const plain = new ConvAutoencoder1d({ ...small, batchNorm: false });
    const x = tf.randomNormal([4, 64, 1], 0, 1, 'float32', 5);
    const loss = (model: ConvAutoencoder1d, training: boolean, step: number) => model.computeLoss({ x }, { training, step }).total.dataSync()[0];
    assert.equal(loss(m, false, 0), loss(plain, false, 0), 'evaluation sees the clean input');
    assert.notEqual(loss(m, true, 0), loss(plain, true, 0), 'training sees a corrupted input');
    assert.equal(loss(m, true, 7), loss(m, true, 7), 'the same step draws the same noise');
    assert.notEqual(loss(m, true, 7), loss(m, true, 8));
    m.dispose();
    plain.dispose();
  });

  it('saves and loads the running statistics with the weights; the trainer restores them with the best weights', async () => {
    const data = makeSignals({ count: 24, length: 64, seed: 6 });
    const m = new ConvAutoencoder1d(small);
    await train(m, { train: data, validation: makeSignals({ count: 8, length: 64, seed: 8 }), epochs: 2, batchSize: 8, seed: 1, progress: false, learningRate: 0.01 });
    await saveWeights(m, path.join(dir, 'w'));
    const copy = new ConvAutoencoder1d(small);
    loadWeights(copy, path.join(dir, 'w'));
    m.stateVariables.forEach((v, i) => assert.deepEqual(Array.from(copy.stateVariables[i].variable.dataSync()), Array.from(v.variable.dataSync()), v.name));
    const x = tf.tensor3d(data.x.subarray(0, 4 * 64), [4, 64, 1]);
    assert.deepEqual(Array.from(copy.reconstruct(x).dataSync()), Array.from(m.reconstruct(x).dataSync()));

    // After epoch 1 the weights are spoiled (scaled by 3, learning rate too small to recover), so
    // epoch 1 stays the best; the running statistics must come back with its weights.
    const states: number[][] = [];
    const r = await train(copy, {
      train: data,
      validation: makeSignals({ count: 8, length: 64, seed: 7 }),
      epochs: 3,
      batchSize: 8,
      seed: 2,
      progress: false,
      learningRate: 1e-6,
      callbacks: {
        onEpochEnd: (log) => {
          states.push(Array.from(copy.stateVariables[0].variable.dataSync()));
          if (log.epoch === 1) tf.tidy(() => copy.trainableVariables.forEach((v) => v.assign(v.mul(3))));
        },
      },
    });
    assert.equal(r.bestEpoch, 1);
    assert.ok(r.bestEpoch < states.length, `the best epoch ${r.bestEpoch} is not the last of ${states.length}`);
    assert.notDeepEqual(states[r.bestEpoch - 1], states[states.length - 1]);
    assert.deepEqual(Array.from(copy.stateVariables[0].variable.dataSync()), states[r.bestEpoch - 1], `running mean of best epoch ${r.bestEpoch}`);
    tf.dispose(x);
    m.dispose();
    copy.dispose();
  });

  it('rejects lengths the stem cannot invert and bad configs with the values named', () => {
    assert.throws(() => new ConvAutoencoder1d({ ...small, poolSize: 2, poolSizes: [2, 2] }), /give poolSize or poolSizes, not both/);
    assert.throws(() => new ConvAutoencoder1d({ ...small, poolSizes: [2] }), /poolSizes must have one window per block \(2\), got 1/);
    assert.throws(() => new ConvAutoencoder1d({ ...small, padding: 'full' as 'same' }), /padding must be same\|valid, got "full"/);
    assert.throws(() => new ConvAutoencoder1d({ ...small, poolSizes: [2, 16] }), /too short: block 1 gets 8 frames, 8 after its convolution, fewer than its pooling window of 16/);
    // 125 frames pool to 62 (the last frame dropped, and given back as zero by unpooling), then 31.
    const odd = new ConvAutoencoder1d({ inputShape: [2000, 1], seed: 1 });
    assert.deepEqual([odd.blockLengths, odd.codeMapShape], [[125, 62], [31, 32]]);
    assert.deepEqual(odd.summary().find((r) => r.layer === 'decoder/1')?.outputShape, [2000, 1]);
    odd.dispose();
    assert.throws(() => new ConvAutoencoder1d({ inputShape: [2050, 1], seed: 1 }), /cannot restore length 2050/);
    assert.throws(() => new ConvAutoencoder1d({ inputShape: [2048, 1], firstKernel: 81, seed: 1 }), /firstPadding must be an integer >= 0, got 32.5 \(firstKernel - firstStride is odd: set it\)/);
    assert.throws(() => new ConvAutoencoder1d({ inputShape: [2048, 1], kernelSize: 4, seed: 1 }), /kernelSize must be odd/);
    assert.throws(() => new ConvAutoencoder1d({ inputShape: [2048, 1], filters: [], seed: 1 }), /filters must name at least one block/);
    const m = new ConvAutoencoder1d(small);
    assert.throws(() => m.encode(tf.zeros([2, 63, 1])), /expected x of shape \[batch, 64, 1\] \(or 64 values per example\), got \[2, 63, 1\]/);
    assert.throws(() => m.decode(tf.zeros([2, 4])), /expected z of shape \[batch, 3\], got \[2, 4\]/);
    assert.throws(() => m.decode(tf.zeros([2, 3]), []), /expected 2 index tensors \(one per pooling block\), got 0/);
    m.dispose();
  });
});

describe('ConvAutoencoder summary and denoising', () => {
  it("prints the lecture model's layers with Keras's output shapes and 28,353 parameters", () => {
    const m = new ConvAutoencoder({ inputShape: [28, 28, 1], filters: [32, 32], seed: 1 });
    const rows = m.summary();
    assert.deepEqual(
      rows.map((r) => [r.layer, r.outputShape, r.params]),
      [
        ['encoder/0', [28, 28, 32], 320],
        ['encoder/0/pool', [14, 14, 32], 0],
        ['encoder/1', [14, 14, 32], 9248],
        ['encoder/1/pool', [7, 7, 32], 0],
        ['decoder/0', [14, 14, 32], 9248],
        ['decoder/1', [28, 28, 32], 9248],
        ['decoder/output', [28, 28, 1], 289],
      ],
    );
    assert.equal(rows.reduce((s, r) => s + r.params, 0), 28353);
    m.dispose();
  });

  it('a denoising conv autoencoder encodes a corrupted input in training only and scores against the clean one', () => {
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 1);
    const config = { inputShape: [8, 8, 1], filters: [4], seed: 2 };
    const plain = new ConvAutoencoder(config);
    const denoising = new ConvAutoencoder({ ...config, corruption: { kind: 'masking', fraction: 0.5 } });
    const loss = (model: ConvAutoencoder, training: boolean, step: number) => model.computeLoss({ x }, { training, step }).total.dataSync()[0];
    assert.equal(loss(denoising, false, 0), loss(plain, false, 0));
    assert.notEqual(loss(denoising, true, 0), loss(plain, true, 0));
    assert.equal(loss(denoising, true, 3), loss(denoising, true, 3));
    assert.throws(() => new ConvAutoencoder({ ...config, corruption: { kind: 'masking', fraction: 2 } }), /corruption.fraction must be in \[0, 1\], got 2/);
    plain.dispose();
    denoising.dispose();
  });
});
