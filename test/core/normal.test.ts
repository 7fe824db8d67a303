import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalQuantile, normalQuantileGrid } from '../../src/core/normal';

/** Values of CPython's statistics.NormalDist().inv_cdf (printed with repr). */
const reference: [number, number][] = [
  [1e-300, -37.0470962993612],
  [1e-20, -9.262340089798405],
  [1e-10, -6.361340902404056],
  [1e-5, -4.2648907939228256],
  [0.001, -3.090232306167813],
  [0.025, -1.9599639845400538],
  [0.05, -1.6448536269514726],
  [0.075, -1.4395314709384557],
  [0.1, -1.2815515655446008],
  [0.3, -0.5244005127080407],
  [0.5, 0],
  [0.7, 0.5244005127080407],
  [0.925, 1.439531470938456],
  [0.975, 1.9599639845400536],
  [0.999, 3.090232306167813],
];

test('normalQuantile matches CPython inv_cdf in all three regions of AS 241', () => {
  for (const [p, x] of reference) {
    const got = normalQuantile(p);
    assert.ok(Math.abs(got - x) <= 1e-14 * (1 + Math.abs(x)), `p ${p}: got ${got}, expected ${x}`);
  }
});

/** P(X <= x) by Simpson's rule on the density from 0 to x (independent of AS 241). */
function cdfBySimpson(x: number): number {
  const n = 4000;
  const h = x / n;
  const f = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let sum = f(0) + f(x);
  for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * f(i * h);
  return 0.5 + (sum * h) / 3;
}

test('normalQuantile inverts the CDF computed by numerical integration', () => {
  for (let p = 0.0005; p < 1; p += 0.0371) {
    assert.ok(Math.abs(cdfBySimpson(normalQuantile(p)) - p) < 1e-12, `p ${p}`);
  }
});

test('normalQuantile is odd about 1/2 and increasing', () => {
  let previous = -Infinity;
  for (let i = 1; i < 1000; i++) {
    const p = i / 1000;
    const x = normalQuantile(p);
    assert.ok(x > previous, `increasing at ${p}`);
    previous = x;
    assert.ok(Math.abs(x + normalQuantile(1 - p)) < 1e-12, `odd at ${p}`);
  }
});

test('normalQuantile rejects probabilities outside (0, 1)', () => {
  for (const p of [0, 1, -0.1, 1.5, Number.NaN]) assert.throws(() => normalQuantile(p), /strictly between 0 and 1/);
});

test('normalQuantileGrid spaces points evenly in probability', () => {
  const grid = normalQuantileGrid(4);
  assert.deepEqual(grid.map((x) => Number(cdfBySimpson(x).toFixed(10))), [0.125, 0.375, 0.625, 0.875]);
  assert.equal(normalQuantileGrid(1)[0], 0);
  assert.throws(() => normalQuantileGrid(0), /positive integer/);
});
