import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { MlpClassifier } from '../../src/models/mlp-classifier';
import { loadWeights, saveWeights } from '../../src/training/weights';

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
