import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mixSeed, Random } from '../../src/core/random';

describe('Random', () => {
  it('gives the same numbers for the same seed and different ones for another', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(42)));
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(42)));
    const c = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(43)));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (const v of a) assert.ok(v >= 0 && v < 1);
  });

  it('draws uniform numbers with the right mean and normals with the right moments', () => {
    const r = new Random(7);
    let sum = 0;
    let nsum = 0;
    let nsq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      sum += r.next();
      const z = r.normal();
      nsum += z;
      nsq += z * z;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.01);
    assert.ok(Math.abs(nsum / n) < 0.03);
    assert.ok(Math.abs(nsq / n - 1) < 0.05);
  });

  it('permutation holds every index once', () => {
    const p = new Random(1).permutation(1000);
    assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
    assert.notDeepEqual([...p], Array.from({ length: 1000 }, (_, i) => i));
  });

  it('continues from a saved state', () => {
    const r = new Random(5);
    r.next();
    const copy = Random.fromState(r.internalState);
    assert.equal(copy.next(), r.next());
  });

  it('rejects seeds that are not integers and mixes seeds deterministically', () => {
    assert.throws(() => new Random(0.5), /seed must be an integer, got 0\.5/);
    assert.equal(mixSeed(1, 2), mixSeed(1, 2));
    assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
  });
});
