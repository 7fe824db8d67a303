import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { MlpClassifier } from '../../src/models/mlp-classifier';
import { copyWeights, loadWeights, saveWeights } from '../../src/training/weights';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-weights-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('saveWeights and loadWeights', () => {
  it('round-trips the weights exactly', async () => {
    const a = new DenseAutoencoder({ inputDim: 10, hiddenSizes: [6], latentDim: 2, seed: 1 });
    const b = new DenseAutoencoder({ inputDim: 10, hiddenSizes: [6], latentDim: 2, seed: 1 });
    tf.tidy(() => a.trainableVariables.forEach((v) => v.assign(v.add(tf.randomNormal(v.shape, 0, 1, 'float32', 4)))));
    await saveWeights(a, path.join(dir, 'ae'));
    loadWeights(b, path.join(dir, 'ae'));
    const x = tf.randomUniform([3, 10]);
    assert.deepEqual([...b.reconstruct(x).dataSync()], [...a.reconstruct(x).dataSync()]);
    a.dispose();
    b.dispose();
  });

  it('refuses weights of another model or a missing folder', async () => {
    const ae = new DenseAutoencoder({ inputDim: 10, hiddenSizes: [6], latentDim: 2, seed: 1 });
    await saveWeights(ae, path.join(dir, 'ae2'));
    const mlp = new MlpClassifier({ inputDim: 10, hiddenSizes: [6], classCount: 2, seed: 1 });
    assert.throws(() => loadWeights(mlp, path.join(dir, 'ae2')), /holds a dense-autoencoder, not a mlp-classifier/);
    assert.throws(() => loadWeights(ae, path.join(dir, 'nothing')), /no checkpoint at .*nothing/);
    ae.dispose();
    mlp.dispose();
  });
});

describe('copyWeights', () => {
  it('copies every variable into a model of the same kind and config, and refuses another config', () => {
    const a = new DenseAutoencoder({ inputDim: 10, hiddenSizes: [6], latentDim: 2, seed: 1 });
    const b = new DenseAutoencoder({ inputDim: 10, hiddenSizes: [6], latentDim: 2, seed: 1 });
    tf.tidy(() => a.namedVariables.forEach((v, i) => v.variable.assign(tf.fill(v.variable.shape, i + 0.5))));
    copyWeights(a, b);
    assert.deepEqual(b.namedVariables.map((v) => Array.from(v.variable.dataSync())), a.namedVariables.map((v) => Array.from(v.variable.dataSync())));
    tf.tidy(() => a.namedVariables[0].variable.assign(tf.zeros(a.namedVariables[0].variable.shape)));
    assert.equal(b.namedVariables[0].variable.dataSync()[0], 0.5, 'a copy, not a shared variable');
    const other = new DenseAutoencoder({ inputDim: 10, hiddenSizes: [5], latentDim: 2, seed: 1 });
    assert.throws(() => copyWeights(a, other), /copyWeights: dense-autoencoder .* differ in kind or config/);
  });
});
