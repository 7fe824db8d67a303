import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import { glorotUniform, ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

describe('ParameterScope', () => {
  it('names weights by the path of nested scopes and lists each in its scope and every scope above', () => {
    const root = ParameterScope.create('scope-test', 1);
    const encoder = root.child('encoder');
    encoder.child('0').addWeight('w', [3, 2], { kind: 'glorotUniform', fanIn: 3, fanOut: 2 });
    encoder.child('0').addWeight('b', [2], { kind: 'zeros' });
    const bn = root.child('decoder').child('bn');
    bn.addWeight('gamma', [2], { kind: 'ones' });
    bn.addWeight('moving_mean', [2], { kind: 'zeros' }, { trainable: false });
    assert.deepEqual(root.trainableVariables.map((v) => v.name), ['encoder/0/w', 'encoder/0/b', 'decoder/bn/gamma']);
    assert.deepEqual(root.stateVariables.map((v) => v.name), ['decoder/bn/moving_mean']);
    assert.deepEqual(encoder.trainableVariables.map((v) => v.name), ['encoder/0/w', 'encoder/0/b']);
    assert.deepEqual(bn.stateVariables.map((v) => v.name), ['decoder/bn/moving_mean']);
    assert.equal(root.stateVariables[0].variable.trainable, false);
    assert.deepEqual(Array.from(bn.trainableVariables[0].variable.dataSync()), [1, 1]);
    // Two children of one name share the path, each lists its own weights.
    const again = root.child('encoder');
    again.addWeight('extra', [1], { kind: 'zeros' });
    assert.deepEqual(again.trainableVariables.map((v) => v.name), ['encoder/extra']);
  });

  it("group() lists only its own weights at its parent's path, and they still join the parent's lists", () => {
    const root = ParameterScope.create('group-test', 1);
    root.child('other').addWeight('w', [1], { kind: 'zeros' });
    const own = root.group();
    own.child('output').addWeight('w', [2], { kind: 'zeros' });
    own.child('bn').addWeight('moving_mean', [2], { kind: 'zeros' }, { trainable: false });
    assert.deepEqual(own.trainableVariables.map((v) => v.name), ['output/w']);
    assert.deepEqual(own.stateVariables.map((v) => v.name), ['bn/moving_mean']);
    assert.deepEqual(root.trainableVariables.map((v) => v.name), ['other/w', 'output/w']);
    assert.equal(own.path, root.path);
  });

  it('draws every initialiser from one seeded generator in creation order (Glorot-uniform bounds)', () => {
    const a = ParameterScope.create('m', 7);
    const w1 = a.addWeight('first', [20, 10], { kind: 'glorotUniform', fanIn: 20, fanOut: 10 });
    const w2 = a.addWeight('second', [5], { kind: 'glorotUniform', fanIn: 5, fanOut: 5 });
    const random = new Random(7);
    assert.deepEqual(Array.from(w1.dataSync()), Array.from(glorotUniform(200, 20, 10, random)));
    assert.deepEqual(Array.from(w2.dataSync()), Array.from(glorotUniform(5, 5, 5, random)));
    const limit = Math.sqrt(6 / 30);
    const values = Array.from(w1.dataSync());
    assert.ok(values.every((v) => Math.abs(v) <= limit) && Math.max(...values.map(Math.abs)) > 0.9 * limit, 'uniform in +-sqrt(6 / (fanIn + fanOut))');
    // Another model with the same seed gets the same values; TF.js names stay unique.
    const b = ParameterScope.create('m', 7);
    const v1 = b.addWeight('first', [20, 10], { kind: 'glorotUniform', fanIn: 20, fanOut: 10 });
    assert.deepEqual(Array.from(v1.dataSync()), values);
    assert.notEqual(v1.name, w1.name);
  });

  it('refuses a name used twice in one model, bad shapes and bad scope names', () => {
    const s = ParameterScope.create('dup', 1);
    s.child('a').addWeight('w', [1], { kind: 'zeros' });
    assert.throws(() => s.child('a').addWeight('w', [2], { kind: 'zeros' }), /weight "a\/w" already exists in this model/);
    assert.throws(() => s.addWeight('v', [0, 2], { kind: 'zeros' }), /weight "v": shape must hold positive integers, got \[0, 2\]/);
    assert.throws(() => s.child('/x'), /scope name must be non-empty/);
  });
});
