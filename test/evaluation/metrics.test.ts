import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topResponsePurity } from '../../src/evaluation/metrics';

describe('topResponsePurity', () => {
  // 4 examples of classes (0, 0, 1, 1); unit 0 responds to class 0, unit 1 to one example of each, unit 2 is dead.
  const codes = { z: Float32Array.from([0.9, 0.8, 0, 0.7, 0.1, 0, 0.1, 0.9, 0, 0.2, 0.2, 0]), count: 4, latentDim: 3 };
  const labels = [0, 0, 1, 1];

  it('averages, over live units, the majority share among each unit\'s top responses', () => {
    // unit 0: top 2 = examples 0, 1 (both class 0) -> 1; unit 1: top 2 = examples 2, 0 (classes 1, 0) -> 0.5
    assert.deepEqual(topResponsePurity(codes, labels, { top: 2 }), { purity: 0.75, unitsUsed: 2 });
    // top 4 covers everything: each unit sees two of each class
    assert.deepEqual(topResponsePurity(codes, labels, { top: 4 }), { purity: 0.5, unitsUsed: 2 });
  });

  it('rejects a wrong label count, a bad top and codes with no live unit', () => {
    assert.throws(() => topResponsePurity(codes, [0, 1], { top: 2 }), /2 labels for 4 codes/);
    assert.throws(() => topResponsePurity(codes, labels, { top: 5 }), /top must be an integer in 1\.\.4, got 5/);
    assert.throws(() => topResponsePurity({ z: new Float32Array(4), count: 4, latentDim: 1 }, labels, { top: 2 }), /no unit responds above 0/);
  });
});
