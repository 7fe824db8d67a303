import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';

before(async () => {
  await tf.setBackend('cpu');
});

describe('DenseAutoencoder', () => {
  it('has the shapes of its config: encode [b, latentDim], decode and reconstruct shaped like x', () => {
    const ae = new DenseAutoencoder({ inputDim: 12, hiddenSizes: [8, 4], latentDim: 2, seed: 1 });
    const x = tf.randomUniform([5, 12]);
    assert.deepEqual(ae.encode(x).shape, [5, 2]);
    assert.deepEqual(ae.decode(tf.zeros([3, 2])).shape, [3, 12]);
    assert.deepEqual(ae.reconstruct(x).shape, [5, 12]);
    assert.deepEqual(ae.reconstruct(x.reshape([5, 3, 4])).shape, [5, 3, 4]);
    assert.deepEqual(ae.namedVariables.map((v) => v.name), [
      'encoder/0/w', 'encoder/0/b', 'encoder/1/w', 'encoder/1/b', 'encoder/2/w', 'encoder/2/b',
      'decoder/0/w', 'decoder/0/b', 'decoder/1/w', 'decoder/1/b', 'decoder/2/w', 'decoder/2/b',
    ]);
    const r = ae.reconstruct(x).dataSync();
    assert.ok(r.every((v) => v > 0 && v < 1), 'sigmoid output in (0, 1)');
    ae.dispose();
  });

  it('is deterministic: same seed, same weights and same embed', () => {
    const a = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 7 });
    const b = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 7 });
    const c = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 8 });
    const x = tf.randomUniform([4, 6], 0, 1, 'float32', 3);
    assert.deepEqual([...a.embed(x).dataSync()], [...b.embed(x).dataSync()]);
    assert.deepEqual([...a.embed(x).dataSync()], [...a.embed(x).dataSync()]);
    assert.notDeepEqual([...a.embed(x).dataSync()], [...c.embed(x).dataSync()]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('computes { total, reconstruction } for bce and mse', () => {
    const x = tf.randomUniform([4, 6], 0, 1, 'float32', 3);
    for (const loss of ['bce', 'mse'] as const) {
      const ae = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [5], latentDim: 2, loss, seed: 1 });
      const terms = ae.computeLoss({ x });
      assert.deepEqual(Object.keys(terms).sort(), ['reconstruction', 'total']);
      assert.equal(terms.total.dataSync()[0], terms.reconstruction.dataSync()[0]);
      assert.ok(terms.total.dataSync()[0] > 0);
      ae.dispose();
    }
  });

  it('rejects bad configs and wrong input shapes with the argument named', () => {
    assert.throws(() => new DenseAutoencoder({ inputDim: 0, hiddenSizes: [], latentDim: 2, seed: 1 }), /inputDim must be a positive integer, got 0/);
    assert.throws(() => new DenseAutoencoder({ inputDim: 4, hiddenSizes: [3.5], latentDim: 2, seed: 1 }), /hiddenSizes\[0\] must be a positive integer, got 3\.5/);
    assert.throws(() => new DenseAutoencoder({ inputDim: 4, hiddenSizes: [], latentDim: 2, loss: 'bce', outputActivation: 'linear', seed: 1 }), /needs outputActivation "sigmoid"/);
    assert.throws(() => new DenseAutoencoder({ inputDim: 4, hiddenSizes: [], latentDim: 2, activation: 'gelu' as 'relu', seed: 1 }), /activation must be one of .*got "gelu"/);
    const ae = new DenseAutoencoder({ inputDim: 4, hiddenSizes: [], latentDim: 2, seed: 1 });
    assert.throws(() => ae.encode(tf.zeros([3, 5])), /expected x of shape \[batch, 4\].*got \[3, 5\]/);
    assert.throws(() => ae.decode(tf.zeros([3, 3])), /expected z of shape \[batch, 2\], got \[3, 3\]/);
    ae.dispose();
  });

  it('leaves no tensor behind per embed call, and none after dispose', () => {
    const empty = tf.memory().numTensors;
    new DenseAutoencoder({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 1 }).dispose();
    assert.equal(tf.memory().numTensors, empty);
    const ae = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 1 });
    const x = tf.randomUniform([4, 6]);
    ae.embed(x).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) ae.embed(x).dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    ae.dispose();
  });
});
