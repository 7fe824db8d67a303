import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { contractivePenalty, l1ActivityPenalty, klSparsityPenalty, sumSquaredError } from '../../src/losses';
import type { DenseAutoencoderConfig } from '../../src/models/dense-autoencoder';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { jacobianFrobeniusSquared } from '../../src/nn/jacobian';
import { train } from '../../src/training/trainer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-variants-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = { inputDim: 10, hiddenSizes: [], latentDim: 6, loss: 'mse' as const, seed: 3 };
const x = tf.randomUniform([5, 10], 0, 1, 'float32', 4) as tf.Tensor2D;
const value = (t: tf.Tensor) => t.dataSync()[0];
const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} vs ${b}`);

describe('autoencoder variants', () => {
  it('sparse: total = reconstruction + the L1 or KL penalty on the code', () => {
    const l1 = new DenseAutoencoder({ ...base, latentActivation: 'relu', sparsity: { penalty: 'l1', weight: 0.3 } });
    const terms = l1.computeLoss({ x }, { training: true });
    close(value(terms.sparsity), value(l1ActivityPenalty(l1.encode(x), 0.3)));
    close(value(terms.total), value(terms.reconstruction) + value(terms.sparsity));
    const kl = new DenseAutoencoder({ ...base, latentActivation: 'sigmoid', sparsity: { penalty: 'kl', target: 0.05, weight: 2 } });
    close(value(kl.computeLoss({ x }).sparsity), value(klSparsityPenalty(kl.encode(x), 0.05, 2)));
    [l1, kl].forEach((m) => m.dispose());
  });

  it('contractive: the term is weight * the mean squared Frobenius norm of the encoder Jacobian', () => {
    const cae = new DenseAutoencoder({ ...base, latentActivation: 'sigmoid', contractiveWeight: 0.5 });
    const terms = cae.computeLoss({ x });
    const autodiff = value(jacobianFrobeniusSquared((input) => cae.encode(input), x).mean());
    close(value(terms.contractive), 0.5 * autodiff, 1e-4);
    close(value(terms.contractive), value(contractivePenalty(cae.encode(x), cae.firstLayerWeights as tf.Tensor2D, 0.5)));
    cae.dispose();
  });

  it('denoising: training scores the reconstruction of a corrupted input against the clean one; evaluation does not corrupt', () => {
    const dae = new DenseAutoencoder({ ...base, corruption: { kind: 'masking', fraction: 1 } });
    const plain = new DenseAutoencoder(base);
    // every value masked: the code is that of zeros, scored against the clean x
    const fromZeros = sumSquaredError(x, dae.decode(dae.encode(tf.zerosLike(x))) as tf.Tensor2D);
    close(value(dae.computeLoss({ x }, { training: true, step: 0 }).reconstruction), value(fromZeros));
    close(value(dae.computeLoss({ x }, { training: false }).total), value(plain.computeLoss({ x }).total));
    const partial = new DenseAutoencoder({ ...base, corruption: { kind: 'gaussian', std: 0.5 } });
    const a = value(partial.computeLoss({ x }, { training: true, step: 4 }).total);
    assert.equal(value(partial.computeLoss({ x }, { training: true, step: 4 }).total), a, 'the same step draws the same noise');
    assert.notEqual(value(partial.computeLoss({ x }, { training: true, step: 5 }).total), a);
    [dae, plain, partial].forEach((m) => m.dispose());
  });

  it('a denoising run resumed from a checkpoint draws the same noise as an uninterrupted one', async () => {
    const data = makeDataset({ x: Float32Array.from({ length: 40 * 10 }, (_, i) => (Math.sin(i) + 1) / 2), featureShape: [10] });
    const config: DenseAutoencoderConfig = { ...base, corruption: { kind: 'salt-and-pepper', fraction: 0.3 } };
    const options = { train: data, epochs: 3, batchSize: 8, seed: 2, progress: false };
    const whole = new DenseAutoencoder(config);
    const full = await train(whole, options);
    const ckpt = path.join(dir, 'dae');
    const first = new DenseAutoencoder(config);
    await train(first, { ...options, epochs: 1, checkpointDir: ckpt });
    const second = new DenseAutoencoder(config);
    const resumed = await train(second, { ...options, checkpointDir: ckpt });
    assert.deepEqual(resumed.history.map((h) => h.train), full.history.map((h) => h.train));
    [whole, first, second].forEach((m) => m.dispose());
  });

  it('training steps of every variant leave no tensor behind', () => {
    const configs: DenseAutoencoderConfig[] = [
      { ...base, latentActivation: 'relu', sparsity: { penalty: 'l1', weight: 0.1 } },
      { ...base, latentActivation: 'sigmoid', sparsity: { penalty: 'kl', target: 0.1, weight: 1 } },
      { ...base, latentActivation: 'sigmoid', contractiveWeight: 0.1 },
      { ...base, corruption: { kind: 'gaussian', std: 0.2 } },
    ];
    for (const config of configs) {
      const model = new DenseAutoencoder(config);
      const before = tf.memory().numTensors;
      const { value: loss, grads } = tf.variableGrads(() => model.computeLoss({ x }, { training: true }).total, model.trainableVariables as tf.Variable[]);
      tf.dispose([loss, grads]);
      assert.equal(tf.memory().numTensors, before, JSON.stringify(config));
      model.dispose();
    }
  });

  it('keeps a plain config free of variant fields, and rejects variants that cannot work', () => {
    const plain = new DenseAutoencoder(base);
    assert.deepEqual(Object.keys(plain.config).sort(), ['activation', 'hiddenSizes', 'inputDim', 'latentActivation', 'latentDim', 'loss', 'outputActivation', 'seed']);
    plain.dispose();
    assert.throws(() => new DenseAutoencoder({ ...base, sparsity: { penalty: 'kl', target: 0.05, weight: 1 } }), /sparsity\.penalty "kl" needs latentActivation "sigmoid".*got "linear"/);
    assert.throws(() => new DenseAutoencoder({ ...base, latentActivation: 'sigmoid', sparsity: { penalty: 'kl', target: 1.5, weight: 1 } }), /sparsity\.target must be in \(0, 1\), got 1\.5/);
    assert.throws(() => new DenseAutoencoder({ ...base, sparsity: { penalty: 'l1', weight: -1 } }), /sparsity\.weight must be a number >= 0, got -1/);
    assert.throws(() => new DenseAutoencoder({ ...base, hiddenSizes: [8], latentActivation: 'sigmoid', contractiveWeight: 1 }), /contractiveWeight needs a one-layer sigmoid encoder .*got hiddenSizes \[8\]/);
    assert.throws(() => new DenseAutoencoder({ ...base, corruption: { kind: 'masking', fraction: 2 } }), /corruption\.fraction must be in \[0, 1\], got 2/);
  });
});
