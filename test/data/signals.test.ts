import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeSignals, signalClassNames } from '../../src/data/signals';

/** Mean of |x_t - x_{t-1}|: how fast a signal moves, which tells the classes apart. */
function roughness(x: Float32Array): number {
  let s = 0;
  for (let t = 1; t < x.length; t++) s += Math.abs(x[t] - x[t - 1]);
  return s / (x.length - 1);
}

describe('makeSignals', () => {
  it('makes balanced labelled signals of [length, 1], the same for the same seed', () => {
    const a = makeSignals({ count: 40, length: 512, seed: 3 });
    assert.deepEqual(a.featureShape, [512, 1]);
    assert.equal(a.count, 40);
    assert.equal(a.classCount, signalClassNames.length);
    const counts = new Array(4).fill(0);
    a.labels?.forEach((l) => counts[l]++);
    assert.deepEqual(counts, [10, 10, 10, 10]);
    const b = makeSignals({ count: 40, length: 512, seed: 3 });
    assert.deepEqual(a.x, b.x);
    const c = makeSignals({ count: 40, length: 512, seed: 4 });
    assert.notDeepEqual(a.x, c.x);
    assert.ok(a.x.every(Number.isFinite));
  });

  it('has the shapes it promises: bounded amplitudes, bursts mostly quiet, sawtooth ramps up', () => {
    const d = makeSignals({ count: 8, length: 2048, noise: 0, seed: 1 });
    const signal = (n: number) => d.x.subarray(n * 2048, (n + 1) * 2048);
    for (let n = 0; n < 8; n++) assert.ok(signal(n).every((v) => Math.abs(v) <= 1 + 1e-6), `signal ${n} within [-1, 1]`);
    // bursts (label 2): most samples are near zero between bursts
    const quiet = signal(2).filter((v) => Math.abs(v) < 0.05).length / 2048;
    assert.ok(quiet > 0.5, `bursts quiet share ${quiet}`);
    // sawtooth (label 3): most steps go up
    const s = signal(3);
    let up = 0;
    for (let t = 1; t < s.length; t++) if (s[t] > s[t - 1]) up++;
    assert.ok(up / 2047 > 0.95, `sawtooth rising share ${up / 2047}`);
    // noise adds its std: the noisy copy differs from the clean one by about 0.1 per sample
    const noisy = makeSignals({ count: 8, length: 2048, noise: 0.1, seed: 1 });
    assert.ok(roughness(noisy.x.subarray(0, 2048)) > roughness(signal(0)) + 0.05);
  });

  it('rejects bad options with the argument named', () => {
    assert.throws(() => makeSignals({ count: 0, seed: 1 }), /makeSignals: count must be a positive integer/);
    assert.throws(() => makeSignals({ count: 4, length: 10.5, seed: 1 }), /makeSignals: length must be a positive integer/);
    assert.throws(() => makeSignals({ count: 4, noise: -1, seed: 1 }), /noise must be a number >= 0, got -1/);
  });
});
