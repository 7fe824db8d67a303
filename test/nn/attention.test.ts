import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import { applyLayerNorm, BlockLinear, createLayerNorm, TransformerBlock } from '../../src/nn/attention';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const random = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => random.normal()), shape);
}

describe('layer normalisation', () => {
  it('gives each token mean 0 and variance 1 over its features before the gain and bias', () => {
    const norm = createLayerNorm(ParameterScope.create('ln', 1), 6);
    const x = randomTensor([3, 4, 6], 2).mul(5).add(3);
    const y = applyLayerNorm(norm, x);
    const { mean, variance } = tf.moments(y, -1);
    assert.ok(mean.abs().max().dataSync()[0] < 1e-5);
    assert.ok(variance.sub(1).abs().max().dataSync()[0] < 1e-3);
  });
});

describe('TransformerBlock', () => {
  it('is permutation-equivariant: permuting the tokens permutes the outputs (columns have no order)', () => {
    const block = new TransformerBlock(ParameterScope.create('tb', 3), { dim: 8, heads: 2 });
    const x = randomTensor([2, 5, 8], 4) as tf.Tensor3D;
    const order = [3, 0, 4, 1, 2];
    const permuted = tf.gather(x, order, 1) as tf.Tensor3D;
    const a = tf.gather(block.apply(x), order, 1);
    const b = block.apply(permuted);
    assert.ok(a.sub(b).abs().max().dataSync()[0] < 1e-5);
  });

  it('mixes tokens: one token\'s output depends on another token\'s input, and the attention weights are distributions', () => {
    const block = new TransformerBlock(ParameterScope.create('tb', 5), { dim: 8, heads: 4 });
    const x = randomTensor([1, 3, 8], 6) as tf.Tensor3D;
    const changed = tf.concat([x.slice([0, 0, 0], [1, 2, 8]), x.slice([0, 2, 0], [1, 1, 8]).add(randomTensor([1, 1, 8], 9))], 1) as tf.Tensor3D;
    const y = block.apply(x, { keepAttention: true });
    const weights = block.lastAttention!;
    assert.deepEqual(weights.shape, [1, 4, 3, 3]);
    assert.ok(weights.sum(-1).sub(1).abs().max().dataSync()[0] < 1e-5);
    const y2 = block.apply(changed);
    assert.ok(y.slice([0, 0, 0], [1, 1, 8]).sub(y2.slice([0, 0, 0], [1, 1, 8])).abs().max().dataSync()[0] > 1e-3);
  });

  it('rejects a width that the heads do not divide and tokens of the wrong width', () => {
    assert.throws(() => new TransformerBlock(ParameterScope.create('tb', 1), { dim: 10, heads: 4 }), /dim \(10\) must be a multiple of heads \(4\)/);
    const block = new TransformerBlock(ParameterScope.create('tb', 1), { dim: 8, heads: 2 });
    assert.throws(() => block.apply(tf.zeros([2, 3, 6]) as tf.Tensor3D), /expected tokens \[batch, tokens, 8\], got \[2, 3, 6\]/);
  });
});

describe('BlockLinear', () => {
  it('maps each part of the input to its own part of the output only, and its gradient stays block-diagonal', () => {
    const scope = ParameterScope.create('bl', 7);
    const layer = new BlockLinear(scope, [1, 3, 1], [2, 2, 2]);
    assert.equal(layer.inputDim, 5);
    assert.equal(layer.outputDim, 6);
    const x = randomTensor([4, 5], 8) as tf.Tensor2D;
    const bump = tf.tensor2d([[0, 1, 1, 1, 0]]).tile([4, 1]);
    const delta = layer.apply(x.add(bump) as tf.Tensor2D).sub(layer.apply(x)).abs().max(0).dataSync();
    assert.deepEqual(Array.from(delta).map((d) => d > 1e-6), [false, false, true, true, false, false]);
    const { grads } = tf.variableGrads(() => layer.apply(x).sum(), [layer.weight]);
    const g = grads[layer.weight.name].arraySync() as number[][];
    const inBlock = [[0, 1], [2, 3], [2, 3], [2, 3], [4, 5]];
    g.forEach((row, i) => row.forEach((v, j) => assert.equal(v !== 0, inBlock[i].includes(j), `gradient at (${i}, ${j}) is ${v}`)));
    assert.throws(() => new BlockLinear(scope.child('x'), [1, 2], [3]), /non-empty and of one length/);
  });
});
