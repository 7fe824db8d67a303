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
    // The same seed with noise is the clean signals plus white noise of that std.
    const noisy = makeSignals({ count: 8, length: 2048, noise: 0.1, seed: 1 });
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < noisy.x.length; i++) {
      const e = noisy.x[i] - d.x[i];
      sum += e;
      sumSquares += e * e;
    }
    const n = noisy.x.length;
    assert.ok(Math.abs(sum / n) < 0.005, `noise mean ${sum / n}`);
    assert.ok(Math.abs(Math.sqrt(sumSquares / n) - 0.1) < 0.003, `noise std ${Math.sqrt(sumSquares / n)}`);
    assert.ok(roughness(noisy.x.subarray(0, 2048)) > roughness(signal(0)) + 0.05);
  });

  it('rejects bad options with the argument named', () => {
    assert.throws(() => makeSignals({ count: 0, seed: 1 }), /makeSignals: count must be a positive integer/);
    assert.throws(() => makeSignals({ count: 4, length: 10.5, seed: 1 }), /makeSignals: length must be a positive integer/);
    assert.throws(() => makeSignals({ count: 4, noise: -1, seed: 1 }), /noise must be a number >= 0, got -1/);
  });
});
