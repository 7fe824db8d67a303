import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { ClassifierModel } from '../../src/models/classifier';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { DenseStack } from '../../src/nn/dense-stack';
import { ParameterScope } from '../../src/nn/params';
import { train } from '../../src/training/trainer';

before(async () => {
  await tf.setBackend('cpu');
});

/** Two Gaussian blobs in 6-D, labels 0 and 1. */
function blobs(n: number) {
  const x = new Float32Array(n * 6);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = (labels[i] === 1 ? 1 : -1) * (j < 3 ? 1 : 0) + Math.sin(i * 7.1 + j * 3.3) * 0.5;
  }
  return makeDataset({ x, featureShape: [6], labels, classCount: 2 });
}

describe('ClassifierModel (the objective over a body and a head)', () => {
  it('trains only the head on a frozen encoder, leaves the encoder untouched and alive, and separates the classes', async () => {
    const ae = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [], latentDim: 4, seed: 1 });
    const before = ae.namedVariables.map((v) => Array.from(v.variable.dataSync()));
    const head = new DenseStack(ParameterScope.create('probe', 2).child('head'), { inputDim: 4, widths: [2] });
    const probe = new ClassifierModel({ classCount: 2, freezeBody: true }, ae.encoder, head);
    assert.deepEqual(probe.namedVariables.map((v) => v.name), ['head/0/w', 'head/0/b']);
    const data = blobs(64);
    await train(probe, { train: data, epochs: 30, batchSize: 16, seed: 1, learningRate: 0.05, progress: false });
    assert.deepEqual(ae.namedVariables.map((v) => Array.from(v.variable.dataSync())), before, 'the encoder is unchanged');
    const predicted = Array.from(probe.predict(tf.tensor(data.x, [64, 6])).dataSync());
    const correct = predicted.filter((p, i) => p === data.labels![i]).length;
    assert.ok(correct >= 60, `${correct}/64 correct`);
    probe.dispose();
    assert.ok(ae.trainableVariables.every((v) => !v.isDisposed), 'the encoder still belongs to the autoencoder');
  });

  it('trains the body too unless frozen; refuses a head of the wrong width and fewer than two classes', () => {
    const scope = ParameterScope.create('clf', 3);
    const body = new DenseStack(scope.child('body'), { inputDim: 6, widths: [4] });
    const head = new DenseStack(scope.child('head'), { inputDim: 4, widths: [3] });
    const model = new ClassifierModel({ classCount: 3 }, body, head);
    assert.equal(model.namedVariables.length, 4);
    assert.equal(model.classCount, 3);
    const wrong = new ClassifierModel({ classCount: 2 }, body, head);
    assert.throws(() => wrong.logits(tf.zeros([1, 6])), /classifier: the head gives \[1, 3\], expected \[batch, 2\]/);
    assert.throws(() => new ClassifierModel({ classCount: 1 }, body, head), /classCount must be at least 2/);
  });
});
