import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MlpClassifier } from '../../src/models/mlp-classifier';
import { train } from '../../src/training/trainer';

before(async () => {
  await tf.setBackend('cpu');
});

describe('MlpClassifier', () => {
  it('reads out its last hidden layer and predicts classes', () => {
    const m = new MlpClassifier({ inputDim: 6, hiddenSizes: [5, 2], classCount: 3, readoutActivation: 'linear', seed: 1 });
    const x = tf.randomUniform([4, 6]);
    assert.deepEqual(m.embed(x).shape, [4, 2]);
    assert.deepEqual(m.logits(x).shape, [4, 3]);
    assert.equal(m.predict(x).dtype, 'int32');
    assert.equal(m.latentDim, 2);
    const terms = m.computeLoss({ x, labels: tf.tensor1d([0, 1, 2, 0], 'int32') });
    assert.ok(terms.crossEntropy.dataSync()[0] > 0);
    assert.throws(() => m.computeLoss({ x }), /the batch has no labels/);
    assert.throws(() => new MlpClassifier({ inputDim: 6, hiddenSizes: [], classCount: 3, seed: 1 }), /at least one hidden layer/);
    m.dispose();
  });

  it('has no loss of 0 for a label outside its classes: computeLoss gives NaN and train names the label and the class count', async () => {
    const m = new MlpClassifier({ inputDim: 6, hiddenSizes: [5], classCount: 3, seed: 1 });
    const x = tf.randomUniform([2, 6]);
    const outside = m.computeLoss({ x, labels: tf.tensor1d([7, 7], 'int32') });
    assert.ok(Number.isNaN(outside.total.dataSync()[0]), `loss of labels [7, 7] with 3 classes: ${outside.total.dataSync()[0]}`);
    const inside = m.computeLoss({ x, labels: tf.tensor1d([0, 2], 'int32') });
    assert.ok(Number.isFinite(inside.total.dataSync()[0]) && inside.total.dataSync()[0] > 0);
    const data = { x: new Float32Array(12), featureShape: [6], count: 2, labels: Int32Array.from([1, 7]) };
    await assert.rejects(train(m, { train: data, epochs: 1, batchSize: 2, seed: 1, progress: false }), /label 1 is 7, outside the classes 0\.\.2 of model mlp-classifier \(classCount 3\)/);
    assert.equal(m.classCount, 3);
    m.dispose();
  });
});
