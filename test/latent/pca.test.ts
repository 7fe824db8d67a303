import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Random } from '../../src/core/random';
import { makeDataset } from '../../src/data/dataset';
import { Pca } from '../../src/latent/pca';
import { symmetricEigen } from '../../src/latent/symmetric-eigen';
import { orthonormalRows } from '../../src/latent/principal-angles';
import { orthonormalizeRows } from '../../src/latent/orthonormal';

before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('orthonormalizeRows', () => {
  /** Classical Gram-Schmidt in the plainest form, the reference. */
  const reference = (rows: number[][]) => {
    const out: number[][] = [];
    for (const row of rows) {
      const v = [...row];
      for (const u of out) {
        const dot = row.reduce((s, x, c) => s + x * u[c], 0);
        for (let c = 0; c < v.length; c++) v[c] -= dot * u[c];
      }
      const norm = Math.hypot(...v);
      out.push(v.map((x) => x / norm));
    }
    return out;
  };

  it('gives what Gram-Schmidt gives on well separated rows (the Cholesky QR path), and on nearly dependent ones', () => {
    const random = new Random(8);
    for (const [k, d, nearly] of [[5, 40, false], [30, 200, false], [4, 6, true]] as const) {
      const rows = Array.from({ length: k }, () => Array.from({ length: d }, () => random.normal()));
      // Nearly dependent: row 3 is row 0 plus 1e-6 of noise, beyond what Cholesky QR's squared condition allows.
      if (nearly) rows[3] = rows[0].map((x) => x + 1e-6 * random.normal());
      const q = Float64Array.from(rows.flat());
      orthonormalizeRows(q, k, d);
      const expected = reference(rows);
      for (let i = 0; i < k; i++) for (let c = 0; c < d; c++) close(q[i * d + c], expected[i][c], nearly ? 1e-6 : 1e-10, `k ${k}, d ${d}: row ${i}, column ${c}`);
    }
  });

  it('refills a row that depends on the rows before it, and without refill says so', () => {
    const q = Float64Array.from([1, 0, 0, 2, 0, 0, 0, 1, 0]);
    assert.throws(() => orthonormalizeRows(Float64Array.from(q), 3, 3), /row 1 depends on the rows before it/);
    orthonormalizeRows(q, 3, 3, (row) => row.set([0, 0, 1]));
    assert.deepEqual(Array.from(q), [1, 0, 0, 0, 0, 1, 0, 1, 0]);
  });
});

describe('symmetricEigen', () => {
  it('diagonalises a 3x3 matrix: A v = lambda v, orthonormal vectors, values in decreasing order', () => {
    const a = [4, 1, 2, 1, 3, 0, 2, 0, 5];
    const { values, vectors } = symmetricEigen(a, 3);
    assert.ok(values[0] >= values[1] && values[1] >= values[2]);
    close(values[0] + values[1] + values[2], 12, 1e-12, 'trace');
    for (let i = 0; i < 3; i++) {
      const v = vectors.subarray(i * 3, i * 3 + 3);
      for (let r = 0; r < 3; r++) {
        const av = a[r * 3] * v[0] + a[r * 3 + 1] * v[1] + a[r * 3 + 2] * v[2];
        close(av, values[i] * v[r], 1e-12, `(A v)[${r}]`);
      }
      for (let j = 0; j < 3; j++) {
        const dot = v[0] * vectors[j * 3] + v[1] * vectors[j * 3 + 1] + v[2] * vectors[j * 3 + 2];
        close(dot, i === j ? 1 : 0, 1e-12, `v${i}.v${j}`);
      }
    }
    assert.throws(() => symmetricEigen([1, 2, 3, 4], 2), /not symmetric at \(0, 1\)/);
  });

  it('diagonalises random, repeated-eigenvalue, diagonal, zero and 1x1 matrices to rounding', () => {
    const random = new Random(21);
    const cases: [string, number[], number][] = [];
    for (const n of [2, 7, 60]) {
      const b = Array.from({ length: n * n }, () => random.normal());
      cases.push([`random ${n}x${n}`, Array.from({ length: n * n }, (_, k) => b[k] + b[(k % n) * n + Math.floor(k / n)]), n]);
    }
    // Q diag(3, 3, 3, 1, 1) Q^T for a random orthogonal Q: two repeated eigenvalues.
    const q = orthonormalRows(Array.from({ length: 25 }, () => random.normal()), 5, 5);
    const lambda = [3, 3, 3, 1, 1];
    cases.push(['repeated', Array.from({ length: 25 }, (_, k) => lambda.reduce((s, l, r) => s + l * q[r * 5 + Math.floor(k / 5)] * q[r * 5 + (k % 5)], 0)), 5]);
    cases.push(['diagonal', [2, 0, 0, 0, -1, 0, 0, 0, 7], 3], ['zero', [0, 0, 0, 0], 2], ['1x1', [-4], 1]);
    for (const [name, a, n] of cases) {
      const { values, vectors } = symmetricEigen(a, n);
      const scale = Math.max(1, ...a.map(Math.abs));
      for (let i = 0; i < n; i++) {
        if (i > 0) assert.ok(values[i] <= values[i - 1], `${name}: values in decreasing order`);
        for (let r = 0; r < n; r++) {
          let av = 0;
          for (let c = 0; c < n; c++) av += a[r * n + c] * vectors[i * n + c];
          close(av, values[i] * vectors[i * n + r], 1e-12 * scale * n, `${name}: (A v - lambda v)[${r}] of vector ${i}`);
        }
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let c = 0; c < n; c++) dot += vectors[i * n + c] * vectors[j * n + c];
          close(dot, i === j ? 1 : 0, 1e-12 * n, `${name}: vectors ${i} and ${j} orthonormal`);
        }
      }
    }
    close(symmetricEigen(cases[3][1], 5).values[2], 3, 1e-12, 'repeated: the third value is 3');
    assert.deepEqual(Array.from(symmetricEigen([2, 0, 0, 0, -1, 0, 0, 0, 7], 3).values), [7, 2, -1]);
    assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), /not symmetric|no convergence/);
  });
});

describe('Pca', () => {
  it('matches a hand-computed 2-D case', async () => {
    // Points on the line y = x around (1, 2): covariance [[a, a], [a, a]] with a = var(t).
    // t = -2, -1, 0, 1, 2 -> var = 10 / 4 = 2.5; eigenvalues 5 and 0; axis (1, 1)/sqrt 2.
    const ts = [-2, -1, 0, 1, 2];
    const x = tf.tensor2d(ts.flatMap((t) => [1 + t, 2 + t]), [5, 2]);
    const pca = await Pca.fit(x, { components: 2 });
    close(pca.explainedVariance[0], 5, 1e-5, 'variance 1');
    close(pca.explainedVariance[1], 0, 1e-5, 'variance 2');
    close(pca.explainedVarianceRatio[0], 1, 1e-6, 'ratio 1');
    const axis = pca.basis.arraySync()[0];
    close(axis[0], Math.SQRT1_2, 1e-6, 'axis x');
    close(axis[1], Math.SQRT1_2, 1e-6, 'axis y');
    assert.deepEqual(Array.from(pca.mean.dataSync()), [1, 2]);
    // code of (3, 4) is (2 + 2) / sqrt 2 along the axis
    const one = await Pca.fit(x, { components: 1 });
    close(one.transform(tf.tensor2d([[3, 4]])).dataSync()[0], 4 / Math.SQRT2, 1e-5, 'code');
    assert.deepEqual(Array.from(one.reconstruct(x).dataSync()).map((v) => Math.round(v * 1e4) / 1e4), Array.from(x.dataSync()));
    [pca, one].forEach((p) => p.dispose());
    x.dispose();
  });

  it('agrees with the exact eigen-decomposition of a small covariance, by both methods', async () => {
    const random = new Random(11);
    const n = 400;
    const d = 6;
    const scales = [3, 2, 1.5, 1, 0.5, 0.2];
    const values = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) values[i * d + j] = scales[j] * random.normal() + (j === 1 ? 0.6 * values[i * d] : 0);
    const data = makeDataset({ x: values, featureShape: [d] });
    // exact covariance on the host, in double precision
    const mean = Array.from({ length: d }, (_, j) => Array.from({ length: n }, (_, i) => values[i * d + j]).reduce((a, b) => a + b) / n);
    const cov = new Float64Array(d * d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (values[i * d + a] - mean[a]) * (values[i * d + b] - mean[b]);
      cov[a * d + b] = s / (n - 1);
    }
    const reference = symmetricEigen(cov, d);
    const total = reference.values.reduce((a, b) => a + b, 0);
    for (const method of ['exact', 'subspace'] as const) {
      const pca = await Pca.fit(data, { components: 3, method, tolerance: 1e-10 });
      const basis = pca.basis.arraySync();
      for (let i = 0; i < 3; i++) {
        close(pca.explainedVariance[i], reference.values[i], 1e-3 * reference.values[0], `${method} variance ${i}`);
        close(pca.explainedVarianceRatio[i], reference.values[i] / total, 1e-4, `${method} ratio ${i}`);
        const dot = basis[i].reduce((s, v, j) => s + v * reference.vectors[i * d + j], 0);
        close(Math.abs(dot), 1, 1e-4, `${method} axis ${i}`);
      }
      pca.dispose();
    }
  });

  it('transform and inverseTransform: codes are uncorrelated with the right variances, full k reconstructs exactly', async () => {
    const random = new Random(3);
    const x = tf.tensor2d(Array.from({ length: 300 * 4 }, () => random.normal()), [300, 4]).matMul(tf.tensor2d([[2, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0.5, 0], [0, 0, 0.3, 0.1]]));
    const pca = await Pca.fit(x as tf.Tensor2D, { components: 4 });
    const z = pca.transform(x);
    const zc = z.sub(z.mean(0));
    const zcov = tf.matMul(zc.transpose(), zc).div(299).arraySync() as number[][];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) close(zcov[i][j], i === j ? pca.explainedVariance[i] : 0, 1e-3, `code covariance ${i},${j}`);
    const back = pca.inverseTransform(z).dataSync();
    x.dataSync().forEach((v, i) => close(back[i], v, 1e-4, `inverse ${i}`));
    const before = tf.memory().numTensors;
    pca.embed(x).dispose();
    assert.equal(tf.memory().numTensors, before);
    pca.dispose();
  });

  it('checks its arguments', async () => {
    const x = tf.zeros([5, 3]) as tf.Tensor2D;
    await assert.rejects(Pca.fit(x, { components: 4 }), /components must be an integer in 1\.\.3 \(inputDim\), got 4/);
    await assert.rejects(Pca.fit(tf.zeros([1, 3]) as tf.Tensor2D, { components: 1 }), /at least 2 examples, got 1/);
    const pca = await Pca.fit(tf.randomNormal([5, 3]) as tf.Tensor2D, { components: 2 });
    assert.throws(() => pca.transform(tf.zeros([2, 4])), /Pca: expected x of shape \[batch, 3\] .*got \[2, 4\]/);
    assert.throws(() => pca.inverseTransform(tf.zeros([2, 3]) as tf.Tensor2D), /expected z of shape \[batch, 2\], got \[2, 3\]/);
    pca.dispose();
  });
});

describe('principalAngles', () => {
  it('is zero for the same subspace in another basis and right for a hand case', async () => {
    const { principalAngles } = await import('../../src/latent/principal-angles');
    // span{e1, e2} vs span{e1 + e2, e1 - e2}: the same plane
    const same = principalAngles([1, 0, 0, 0, 1, 0], [1, 1, 0, 1, -1, 0], 2, 3);
    same.forEach((t) => close(t, 0, 1e-7, 'same plane'));
    // span{e1, e2} vs span{e1, cos(0.3) e2 + sin(0.3) e3}: angles 0 and 0.3
    const tilted = principalAngles([1, 0, 0, 0, 1, 0], [1, 0, 0, 0, Math.cos(0.3), Math.sin(0.3)], 2, 3);
    close(tilted[0], 0, 1e-7, 'first angle');
    close(tilted[1], 0.3, 1e-7, 'second angle');
    assert.throws(() => principalAngles([1, 0, 2, 0], [1, 0, 0, 1], 2, 2), /row 1 depends on the rows before it/);
  });
});

describe('Pca on rank-deficient wide data', () => {
  it('the subspace method finds the few real directions when the block is wider than the data rank', async () => {
    const random = new Random(4);
    const d = 150;
    const rank = 4;
    const axes = Array.from({ length: rank }, () => Array.from({ length: d }, () => random.normal()));
    const scales = [4, 3, 2, 1];
    const x = new Float32Array(300 * d);
    for (let i = 0; i < 300; i++) {
      const coefficients = scales.map((s) => s * random.normal());
      for (let c = 0; c < d; c++) x[i * d + c] = axes.reduce((sum, axis, a) => sum + coefficients[a] * axis[c], 0);
    }
    const data = makeDataset({ x, featureShape: [d] });
    const subspace = await Pca.fit(data, { components: 3, method: 'subspace', tolerance: 1e-10 });
    const exact = await Pca.fit(data, { components: 3, method: 'exact' });
    for (let i = 0; i < 3; i++) close(subspace.explainedVariance[i], exact.explainedVariance[i], 1e-3 * exact.explainedVariance[0], `variance ${i}`);
    const ratio = subspace.explainedVarianceRatio.reduce((a, b) => a + b, 0);
    assert.ok(ratio > 0.9 && ratio <= 1 + 1e-6, `explained ratio ${ratio}`);
    subspace.dispose();
    exact.dispose();
  });

  it('sums the total variance in double precision on a float32 backend (wasm), so explained ratios match', async () => {
    // 8,000 x 784 values near 0.5: one float32 sum over all centred squares lost 0.3% on MNIST.
    const random = new Random(11);
    const n = 8000;
    const d = 784;
    const x = new Float32Array(n * d);
    for (let i = 0; i < x.length; i++) x[i] = 0.5 + 0.2 * random.normal();
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += x[i * d + c] / n;
    let total = 0;
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) total += (x[i * d + c] - mean[c]) ** 2;
    total /= n - 1;
    await tf.setBackend('wasm');
    try {
      const pca = await Pca.fit(makeDataset({ x, featureShape: [d] }), { components: 2 });
      close(pca.totalVariance / total, 1, 1e-5, 'total variance relative to float64');
      pca.dispose();
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

