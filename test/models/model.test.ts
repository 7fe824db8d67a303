import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../../src/core/random';
import type { LossOptions, LossTerms, TrainBatch } from '../../src/models/model';
import { checkCodeShape, NetworkModel } from '../../src/models/model';
import { DenseStack } from '../../src/nn/dense-stack';
import type { Network } from '../../src/nn/network';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

/** The smallest objective over networks: it records the noise seeds it was given. */
class Probe extends NetworkModel {
  readonly name = 'probe';
  readonly config = {};
  readonly seeds: number[] = [];
  constructor(networks: Network<never, unknown>[], frozen: Network<never, unknown>[] = []) {
    super(networks, frozen);
  }
  computeLoss(_batch: TrainBatch, options: LossOptions = {}): LossTerms {
    this.seeds.push(this.noiseSeed(9, options, options.training === true ? undefined : 1));
    return { total: tf.scalar(0) };
  }
}

describe('NetworkModel', () => {
  it("lists its networks' variables once each, in order, and frees them on dispose", () => {
    const scope = ParameterScope.create('probe', 1);
    const a = new DenseStack(scope.child('a'), { inputDim: 3, widths: [2] });
    const b = new DenseStack(scope.child('b'), { inputDim: 2, widths: [3] });
    const model = new Probe([a, b, a]);
    assert.deepEqual(model.namedVariables.map((v) => v.name), ['a/0/w', 'a/0/b', 'b/0/w', 'b/0/b']);
    assert.deepEqual(model.trainableVariables, model.namedVariables.map((v) => v.variable));
    model.dispose();
    assert.ok(model.trainableVariables.every((v) => v.isDisposed));
  });

  it('neither trains nor frees a frozen network (it belongs to another model)', () => {
    const scope = ParameterScope.create('probe', 2);
    const body = new DenseStack(scope.child('body'), { inputDim: 3, widths: [2] });
    const head = new DenseStack(scope.child('head'), { inputDim: 2, widths: [2] });
    const model = new Probe([body, head], [body]);
    assert.deepEqual(model.namedVariables.map((v) => v.name), ['head/0/w', 'head/0/b']);
    model.dispose();
    assert.ok(body.variables.every((v) => !v.variable.isDisposed));
    assert.ok(head.variables.every((v) => v.variable.isDisposed));
  });

  it("seeds a loss's noise by the step (or, without one, by the count of such calls), apart for training and evaluation", () => {
    const model = new Probe([]);
    model.computeLoss({ x: tf.zeros([1, 1]) }, { training: true, step: 4 });
    model.computeLoss({ x: tf.zeros([1, 1]) }, { training: true });
    model.computeLoss({ x: tf.zeros([1, 1]) }, { training: true });
    model.computeLoss({ x: tf.zeros([1, 1]) }, { training: true, step: 4 });
    model.computeLoss({ x: tf.zeros([1, 1]) }, { step: 4 });
    assert.deepEqual(model.seeds, [mixSeed(9, 4), mixSeed(9, 0), mixSeed(9, 1), mixSeed(9, 4), mixSeed(9, 4, 1)]);
    assert.equal(new Set(model.seeds).size, 4);
  });

  it('checkCodeShape names the method and the shapes', () => {
    assert.doesNotThrow(() => checkCodeShape(tf.zeros([2, 3]), 3, 'm.decode'));
    assert.throws(() => checkCodeShape(tf.zeros([2, 4]), 3, 'm.decode'), /m\.decode: expected z of shape \[batch, 3\], got \[2, 4\]/);
  });
});
