import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ConvDecoder, ConvEncoder } from '../../src/nn/conv-stack';
import { DenseStack } from '../../src/nn/dense-stack';
import { GaussianEncoder, GaussianHead, reparameterize, standardNormalKl } from '../../src/nn/gaussian';
import type { Network } from '../../src/nn/network';
import { collectVariables } from '../../src/nn/network';
import { ParameterScope } from '../../src/nn/params';
import { SignalDecoder, SignalEncoder } from '../../src/nn/signal-stack';

before(async () => {
  await tf.setBackend('cpu');
});

const size = (n: Network<never, unknown>) => n.variables.reduce((s, v) => s + v.variable.size, 0);
const summed = (n: Network<never, unknown>) => n.summary().reduce((s, row) => s + row.params, 0);

describe('networks', () => {
  it('DenseStack: names its layers in its scope, flattens images, and its summary counts every weight', () => {
    const scope = ParameterScope.create('net', 1);
    const stack = new DenseStack(scope.child('encoder'), { inputDim: 12, widths: [5, 3], outputActivation: 'sigmoid' });
    assert.deepEqual(stack.variables.map((v) => v.name), ['encoder/0/w', 'encoder/0/b', 'encoder/1/w', 'encoder/1/b']);
    const y = stack.apply(tf.ones([4, 3, 4]));
    assert.deepEqual(y.shape, [4, 3]);
    assert.ok(Array.from(y.dataSync()).every((v) => v > 0 && v < 1), 'sigmoid output');
    assert.deepEqual(stack.summary().map((r) => [r.layer, r.kind, r.outputShape, r.params]), [
      ['encoder/0', 'Dense relu', [5], 65],
      ['encoder/1', 'Dense sigmoid', [3], 18],
    ]);
    assert.equal(summed(stack), size(stack));
    assert.throws(() => stack.apply(tf.ones([2, 11])), /encoder: expected x of shape \[batch, 12\]/);
    const identity = new DenseStack(scope.child('flat'), { inputDim: 6, widths: [] });
    assert.equal(identity.outputDim, 6);
    assert.deepEqual(identity.apply(tf.ones([2, 2, 3])).shape, [2, 6]);
  });

  it('ConvEncoder and ConvDecoder mirror each other on images and on signals (width 1)', () => {
    const scope = ParameterScope.create('net', 2);
    const config = { inputShape: [8, 8, 2], filters: [4, 3], latentDim: 5 };
    const encoder = new ConvEncoder(scope.child('encoder'), config);
    const decoder = new ConvDecoder(scope.child('decoder'), config);
    assert.deepEqual(encoder.geometry.codeMapShape, [2, 2, 3]);
    const z = encoder.apply(tf.ones([3, 8, 8, 2]));
    assert.deepEqual(z.shape, [3, 5]);
    assert.deepEqual(decoder.apply(z).shape, [3, 8, 8, 2]);
    assert.deepEqual(decoder.summary().map((r) => r.layer), ['decoder/code', 'decoder/0', 'decoder/1', 'decoder/output']);
    assert.equal(summed(encoder), size(encoder));
    assert.equal(summed(decoder), size(decoder));
    assert.throws(() => decoder.apply(tf.ones([1, 4]) as tf.Tensor2D), /decoder: expected z of shape \[batch, 5\], got \[1, 4\]/);
    const signal = new ConvEncoder(scope.child('signal'), { inputShape: [16, 1], filters: [2] });
    assert.deepEqual(signal.apply(tf.ones([2, 16, 1])).shape, [2, 16], 'code: the 8 x 1 x 2 feature map');
    assert.throws(() => new ConvEncoder(scope.child('bad'), { inputShape: [10, 10, 1], filters: [2, 2] }), /divisible by 4/);
  });

  it('SignalEncoder and SignalDecoder pass pooling indices; batch norm statistics are state', () => {
    const scope = ParameterScope.create('net', 3);
    const config = { inputShape: [128, 1] as [number, number], filters: [3, 4], firstKernel: 16, firstStride: 4, latentDim: 6 };
    const encoder = new SignalEncoder(scope.child('encoder'), config);
    const decoder = new SignalDecoder(scope.child('decoder'), config);
    const code = encoder.apply(tf.randomNormal([2, 128, 1], 0, 1, 'float32', 1));
    assert.deepEqual(code.z.shape, [2, 6]);
    assert.deepEqual(code.indices.map((t) => t.shape), [[2, 16, 3], [2, 8, 4]]);
    assert.deepEqual(decoder.apply(code).shape, [2, 128, 1]);
    assert.deepEqual(encoder.stateVariables.map((v) => v.name), ['encoder/0/bn/moving_mean', 'encoder/0/bn/moving_variance', 'encoder/1/bn/moving_mean', 'encoder/1/bn/moving_variance']);
    // The decoder's last block (undoing the first convolution) has a bias and no batch norm.
    assert.ok(decoder.variables.some((v) => v.name === 'decoder/1/b'));
    assert.ok(!decoder.stateVariables.some((v) => v.name.startsWith('decoder/1/')));
    const before = Array.from(encoder.stateVariables[0].variable.dataSync());
    encoder.apply(tf.randomNormal([2, 128, 1], 0, 1, 'float32', 2), { training: true });
    assert.notDeepEqual(Array.from(encoder.stateVariables[0].variable.dataSync()), before, 'training moves the running mean');
  });

  it('GaussianEncoder: a trunk and a head give mean and log-variance; reparameterize and the KL are differentiable', () => {
    const scope = ParameterScope.create('net', 4);
    const trunk = new DenseStack(scope.child('encoder'), { inputDim: 6, widths: [4], outputActivation: 'relu' });
    const head = new GaussianHead(scope.child('encoder'), { inputDim: 4, latentDim: 2 });
    const q = new GaussianEncoder(trunk, head);
    assert.deepEqual(q.variables.map((v) => v.name), ['encoder/0/w', 'encoder/0/b', 'encoder/mean/w', 'encoder/mean/b', 'encoder/logVar/w', 'encoder/logVar/b']);
    const x = tf.randomUniform([3, 6], 0, 1, 'float32', 5);
    const { mean, logVar } = q.apply(x);
    assert.deepEqual([mean.shape, logVar.shape], [[3, 2], [3, 2]]);
    // With logVar = 0 and eps = 1 the sample is mean + 1.
    const z = reparameterize({ mean, logVar: tf.zerosLike(logVar) as tf.Tensor2D }, tf.onesLike(mean) as tf.Tensor2D);
    assert.deepEqual(Array.from(z.dataSync()), Array.from(mean.add(1).dataSync()));
    // KL of N(0, 1) to N(0, 1) is 0; its gradient reaches every variable of the encoder.
    assert.equal(Math.abs(standardNormalKl({ mean: tf.zeros([2, 2]), logVar: tf.zeros([2, 2]) }).dataSync()[0]), 0);
    const { grads } = tf.variableGrads(() => standardNormalKl(q.apply(x)).add(1), q.variables.map((v) => v.variable));
    assert.equal(Object.keys(grads).length, 6);
    assert.equal(q.summary().length, 3);
  });

  it('collectVariables keeps a shared network once and refuses two variables of one name', () => {
    const scope = ParameterScope.create('net', 5);
    const a = new DenseStack(scope.child('a'), { inputDim: 2, widths: [2] });
    assert.equal(collectVariables([a, a]).trainable.length, 2);
    const other = new DenseStack(ParameterScope.create('other', 5).child('a'), { inputDim: 2, widths: [2] });
    assert.throws(() => collectVariables([a, other]), /two different variables are named "a\/0\/w"/);
  });
});
