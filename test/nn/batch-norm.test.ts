import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkClose } from '../../src/core/assert';
import { applyBatchNorm, createBatchNorm } from '../../src/nn/batch-norm';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

describe('batch norm', () => {
  it('normalises each channel over batch and length in training, and moves the running statistics by momentum (unbiased variance)', () => {
    const scope = ParameterScope.create('bn-test', 0);
    const bn = createBatchNorm(scope.child('bn'), 2);
    assert.deepEqual(scope.trainableVariables.map((v) => v.name), ['bn/gamma', 'bn/beta']);
    assert.deepEqual(scope.stateVariables.map((v) => v.name), ['bn/moving_mean', 'bn/moving_variance']);
    assert.equal(bn.movingMean.trainable, false);
    // channel 0: 1 2 3 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1: 0 0 4 4 (mean 2, var 4, unbiased 16/3)
    const x = tf.tensor3d([1, 0, 2, 0, 3, 4, 4, 4], [2, 2, 2]);
    const y = applyBatchNorm(bn, x, true).dataSync();
    const s0 = Math.sqrt(1.25 + 1e-5);
    const s1 = Math.sqrt(4 + 1e-5);
    checkClose(y, [-1.5 / s0, -2 / s1, -0.5 / s0, -2 / s1, 0.5 / s0, 2 / s1, 1.5 / s0, 2 / s1], 1e-6, 'training output');
    checkClose(bn.movingMean.dataSync(), [0.25, 0.2], 1e-6, 'running mean 0.9 * 0 + 0.1 * mean');
    checkClose(bn.movingVariance.dataSync(), [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * (16 / 3)], 1e-6, 'running variance 0.9 * 1 + 0.1 * unbiased');
    // Inference uses the running statistics and changes nothing.
    const runningBefore = Array.from(bn.movingMean.dataSync());
    const inference = applyBatchNorm(bn, x, false).dataSync();
    const mv = bn.movingVariance.dataSync();
    checkClose(inference.slice(0, 2), [(1 - 0.25) / Math.sqrt(mv[0] + 1e-5), (0 - 0.2) / Math.sqrt(mv[1] + 1e-5)], 1e-6, 'inference output');
    assert.deepEqual(Array.from(bn.movingMean.dataSync()), runningBefore, 'unchanged by inference');
  });

  it('has gradients for gamma, beta and x in training, and rejects a wrong channel count', () => {
    const bn = createBatchNorm(ParameterScope.create('bn-test', 0).child('bn2'), 3);
    const x = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 1);
    const r = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 2);
    const { grads } = tf.variableGrads(() => tf.sum(applyBatchNorm(bn, x, true).mul(r)), [bn.gamma, bn.beta]);
    checkClose(grads[bn.beta.name].dataSync(), tf.sum(r, [0, 1]).dataSync(), 1e-5, 'd/dbeta = sum of r');
    // The normalised output has zero mean per channel, so d/dx sums to zero per channel.
    const dx = tf.grad((t: tf.Tensor) => tf.sum(applyBatchNorm(bn, t, true).mul(r)))(x);
    checkClose(tf.sum(dx, [0, 1]).dataSync(), [0, 0, 0], 1e-4, 'd/dx sums to zero per channel');
    assert.throws(() => applyBatchNorm(bn, tf.zeros([2, 4]), true), /batch norm for 3 channels got x \[2, 4\]/);
    assert.throws(() => createBatchNorm(ParameterScope.create('s', 0), 3, { momentum: 0 }), /momentum must be in \(0, 1\], got 0/);
  });
});
