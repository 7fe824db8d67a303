import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MlpClassifier } from '../../src/models/mlp-classifier';

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
});
