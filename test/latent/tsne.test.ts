import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { DisplayBundle } from '../../src/core/output';
import { setDisplaySink } from '../../src/core/output';
import { Random } from '../../src/core/random';
import { trustworthiness } from '../../src/evaluation/embedding-metrics';
import type { Embedding } from '../../src/latent/embed';
import { nearestNeighbours } from '../../src/latent/knn';
import type { SparseAffinities } from '../../src/latent/tsne';
import { barnesHutGradient, exactGradient, perplexityAffinities, symmetrize, tsne } from '../../src/latent/tsne';

before(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => setDisplaySink(null));

/** A random conditional P over k distinct random neighbours per point, symmetrised. */
function randomAffinities(n: number, k: number, random: Random): SparseAffinities {
  const indices = new Int32Array(n * k);
  const conditional = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const used = new Set<number>([i]);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      let c = random.int(n);
      while (used.has(c)) c = random.int(n);
      used.add(c);
      indices[i * k + j] = c;
      conditional[i * k + j] = random.next() + 0.01;
      sum += conditional[i * k + j];
    }
    for (let j = 0; j < k; j++) conditional[i * k + j] /= sum;
  }
  return symmetrize(indices, conditional, n, k);
}

function dense(p: SparseAffinities): Float64Array {
  const out = new Float64Array(p.count * p.count);
  for (let i = 0; i < p.count; i++) for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) out[i * p.count + p.columns[e]] = p.values[e];
  return out;
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** KL(P || Q) straight from the definition, for a dense P. */
function klByDefinition(p: Float64Array, y: Float64Array, n: number, dims: number): number {
  const w = new Float64Array(n * n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let d2 = 0;
      for (let a = 0; a < dims; a++) d2 += (y[i * dims + a] - y[j * dims + a]) ** 2;
      w[i * n + j] = 1 / (1 + d2);
      z += w[i * n + j];
    }
  }
  let kl = 0;
  for (let e = 0; e < n * n; e++) if (p[e] > 0) kl += p[e] * Math.log(p[e] / (w[e] / z));
  return kl;
}

/** `count` points in `dim` dimensions around `clusters` centres 10 apart, with their labels. */
function gaussianClusters(clusters: number, perCluster: number, dim: number, random: Random): { data: Embedding; labels: number[] } {
  const centres = Array.from({ length: clusters }, (_, c) => Array.from({ length: dim }, (_, a) => (a === c ? 10 : 0)));
  const z = new Float32Array(clusters * perCluster * dim);
  const labels: number[] = [];
  for (let c = 0; c < clusters; c++) {
    for (let m = 0; m < perCluster; m++) {
      const i = c * perCluster + m;
      for (let a = 0; a < dim; a++) z[i * dim + a] = centres[c][a] + random.normal();
      labels.push(c);
    }
  }
  // Interleave the clusters so that nothing depends on the order of the points.
  const order = random.shuffle(Array.from(labels.keys()));
  const shuffled = new Float32Array(z.length);
  order.forEach((from, to) => shuffled.set(z.subarray(from * dim, (from + 1) * dim), to * dim));
  return { data: { z: shuffled, count: labels.length, latentDim: dim }, labels: order.map((from) => labels[from]) };
}

/** Leave-one-out 1-nearest-neighbour accuracy of `labels` in the layout. */
async function oneNnAccuracy(layout: Embedding, labels: number[]): Promise<number> {
  const nn = await nearestNeighbours(layout, layout, 1, { excludeSelf: true });
  let right = 0;
  for (let i = 0; i < layout.count; i++) if (labels[nn.indices[i]] === labels[i]) right++;
  return right / layout.count;
}

describe('perplexityAffinities', () => {
  it('matches scikit-learn _binary_search_perplexity on fixed rows', () => {
    // sklearn.manifold._utils._binary_search_perplexity(d (float32), perplexity, 0), scikit-learn 1.9.1.
    const d = [
      [0.5, 1.0, 2.0, 4.0, 8.0],
      [1.0, 1.0, 1.5, 3.0, 30.0],
      [100.0, 101.0, 102.0, 110.0, 130.0],
      [0, 0, 0.25, 0.5, 0.75],
      [0.01, 0.02, 0.03, 0.04, 0.05],
    ];
    const expected: Record<number, number[][]> = {
      2: [
        [0.7190727145635405, 0.25019419288289263, 0.030289078213943523, 0.0004439189855951007, 9.53540282977609e-8],
        [0.4999999718662079, 0.4999999718662079, 5.626758419358835e-8, 8.019054001530368e-29, 0.0],
        [0.7485215909908304, 0.19872017046199922, 0.05275693663849141, 1.3019086790182906e-6, 3.938518615476411e-18],
        [0.49999997186620476, 0.49999997186620476, 5.6267584193587995e-8, 6.332082418256047e-15, 7.125820012751931e-22],
        [0.7712621099373805, 0.1767933320288046, 0.04052562915658444, 0.009289528059064049, 0.0021294008181664834],
      ],
      3.5: [
        [0.4212740852285266, 0.3213110420142829, 0.18691642378807052, 0.06325445067823206, 0.007243998290887942],
        [0.35145290586479006, 0.35145290586479006, 0.23123524873081716, 0.06585893952958645, 1.0016298628543921e-11],
        [0.37418722196632404, 0.31014584128429795, 0.25706501243006596, 0.05726101554451058, 0.001340908774801269],
        [0.3897830391344732, 0.3897830391344732, 0.14566017053603028, 0.054432551318031326, 0.020341199876991865],
        [0.5107493360822202, 0.25855727348428204, 0.13088977106543714, 0.06626049207083719, 0.03354312729722355],
      ],
    };
    for (const perplexity of [2, 3.5]) {
      const found = perplexityAffinities(d.flat(), 5, perplexity);
      for (let i = 0; i < d.length; i++) {
        for (let j = 0; j < 5; j++) {
          const e = expected[perplexity][i][j];
          assert.ok(Math.abs(found.values[i * 5 + j] - e) <= 1e-6 * e + 1e-12, `perplexity ${perplexity}, p[${i}, ${j}] = ${found.values[i * 5 + j]}, scikit-learn ${e}`);
        }
      }
    }
  });

  it('calibrates every row of random data to entropy log(perplexity), with p proportional to exp(-beta d)', async () => {
    const random = new Random(11);
    const n = 120;
    const k = 40;
    const points: Embedding = { z: Float32Array.from({ length: n * 6 }, () => 3 * random.normal()), count: n, latentDim: 6 };
    const nn = await nearestNeighbours(points, points, k, { excludeSelf: true });
    for (const perplexity of [5, 12.5]) {
      const { values, betas, entropies } = perplexityAffinities(nn.distances, k, perplexity);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        let entropy = 0;
        for (let j = 0; j < k; j++) {
          const p = values[i * k + j];
          sum += p;
          if (p > 0) entropy -= p * Math.log(p);
        }
        assert.ok(Math.abs(sum - 1) < 1e-12, `row ${i} sums to ${sum}`);
        assert.ok(Math.abs(entropy - Math.log(perplexity)) < 1e-5, `row ${i}: entropy ${entropy}, want ${Math.log(perplexity)}`);
        assert.ok(Math.abs(entropies[i] - entropy) < 1e-9, `row ${i}: reported entropy ${entropies[i]}, recomputed ${entropy}`);
        // The ratio of two probabilities is exp(-beta (d_j - d_0)).
        const j = k - 1;
        const ratio = values[i * k + j] / values[i * k];
        const predicted = Math.exp(-betas[i] * (nn.distances[i * k + j] - nn.distances[i * k]));
        assert.ok(Math.abs(ratio - predicted) <= 1e-9 * predicted + 1e-300, `row ${i}: ratio ${ratio}, exp(-beta dd) ${predicted}`);
      }
    }
  });

  it('gives a uniform row for equal distances and follows the closed form for two neighbours', () => {
    const uniform = perplexityAffinities([3, 3, 3, 3, 3], 5, 2);
    for (const p of uniform.values) assert.ok(Math.abs(p - 0.2) < 1e-15, `equal distances: p = ${p}`);
    // Two neighbours at squared distances 0 and 1: p = (1, e^-beta) / (1 + e^-beta), and perplexity
    // exp(H) = 1.5 has one solution.
    const two = perplexityAffinities([0, 1], 2, 1.5);
    const beta = two.betas[0];
    const p0 = 1 / (1 + Math.exp(-beta));
    assert.ok(Math.abs(two.values[0] - p0) < 1e-12);
    const h = -(p0 * Math.log(p0) + (1 - p0) * Math.log(1 - p0));
    assert.ok(Math.abs(Math.exp(h) - 1.5) < 1e-4, `perplexity ${Math.exp(h)}`);
  });
});

describe('symmetrize', () => {
  it('averages p(j|i) and p(i|j) over 2N, merging mutual neighbours, rows sorted', () => {
    // 3 points, k = 2: every point has both others.
    const indices = [1, 2, 2, 0, 0, 1];
    const conditional = [0.7, 0.3, 0.6, 0.4, 0.9, 0.1];
    const p = symmetrize(indices, conditional, 3, 2);
    assert.deepEqual(Array.from(p.rowStart), [0, 2, 4, 6]);
    assert.deepEqual(Array.from(p.columns), [1, 2, 0, 2, 0, 1]);
    const want = (a: number, b: number) => (a + b) / 6;
    const expected = [want(0.7, 0.4), want(0.3, 0.9), want(0.4, 0.7), want(0.6, 0.1), want(0.9, 0.3), want(0.1, 0.6)];
    expected.forEach((v, e) => assert.ok(Math.abs(p.values[e] - v) < 1e-15, `entry ${e}: ${p.values[e]} vs ${v}`));
    // One-sided neighbours: 0 -> 1 and 1 -> 0 mutual, 2 -> 0 only; P keeps (0, 2) and (2, 0).
    const q = symmetrize([1, 0, 0], [1, 1, 1], 3, 1);
    assert.deepEqual(Array.from(q.columns), [1, 2, 0, 0]);
    assert.deepEqual(Array.from(q.values), [2 / 6, 1 / 6, 2 / 6, 1 / 6]);
  });

  it('is symmetric and sums to 1 on random neighbours', () => {
    const p = randomAffinities(50, 7, new Random(2));
    const d = dense(p);
    let sum = 0;
    for (let i = 0; i < 50; i++) {
      assert.equal(d[i * 50 + i], 0);
      for (let j = 0; j < 50; j++) {
        assert.equal(d[i * 50 + j], d[j * 50 + i]);
        sum += d[i * 50 + j];
      }
    }
    assert.ok(Math.abs(sum - 1) < 1e-12, `P sums to ${sum}`);
  });
});

describe('gradients', () => {
  it('exact: the KL matches its definition and the gradient matches finite differences (dense and sparse P, 1 to 3 dimensions)', () => {
    const random = new Random(3);
    const n = 10;
    const p = randomAffinities(n, 3, random);
    const pd = dense(p);
    for (const dims of [1, 2, 3]) {
      const y = Float64Array.from({ length: n * dims }, () => random.normal());
      const sparse = exactGradient(p, y, dims);
      const full = exactGradient(pd, y, dims);
      const kl = klByDefinition(pd, y, n, dims);
      assert.ok(Math.abs(sparse.klDivergence - kl) < 1e-12, `${dims}-D sparse KL ${sparse.klDivergence} vs ${kl}`);
      assert.ok(Math.abs(full.klDivergence - kl) < 1e-12, `${dims}-D dense KL ${full.klDivergence} vs ${kl}`);
      assert.ok(relativeError(sparse.gradient, full.gradient) < 1e-12);
      const h = 1e-6;
      for (let e = 0; e < n * dims; e++) {
        const up = Float64Array.from(y);
        const down = Float64Array.from(y);
        up[e] += h;
        down[e] -= h;
        const numeric = (klByDefinition(pd, up, n, dims) - klByDefinition(pd, down, n, dims)) / (2 * h);
        assert.ok(Math.abs(sparse.gradient[e] - numeric) < 1e-7 + 1e-5 * Math.abs(numeric), `${dims}-D dC/dy[${e}] = ${sparse.gradient[e]}, finite difference ${numeric}`);
      }
    }
  });

  it('exaggeration multiplies P in the attractive term only', () => {
    const random = new Random(4);
    const n = 12;
    const p = randomAffinities(n, 3, random);
    const y = Float64Array.from({ length: n * 2 }, () => random.normal());
    const scaled = dense(p).map((v) => 3 * v);
    const a = exactGradient(p, y, 2, { exaggeration: 3 });
    const b = exactGradient(scaled, y, 2);
    assert.ok(relativeError(a.gradient, b.gradient) < 1e-12);
    assert.ok(Math.abs(a.klDivergence - exactGradient(p, y, 2).klDivergence) < 1e-15, 'the KL is of P itself');
    assert.ok(relativeError(barnesHutGradient(p, y, 2, 0, { exaggeration: 3 }).gradient, a.gradient) < 1e-12);
  });

  it('Barnes-Hut matches the exact gradient: to rounding at theta 0, within 5% at theta 0.5', () => {
    const random = new Random(5);
    const n = 200;
    const p = randomAffinities(n, 10, random);
    for (const dims of [1, 2, 3]) {
      const y = Float64Array.from({ length: n * dims }, () => 5 * random.normal());
      const exact = exactGradient(p, y, dims);
      const bh0 = barnesHutGradient(p, y, dims, 0);
      assert.ok(relativeError(bh0.gradient, exact.gradient) < 1e-9, `${dims}-D theta 0: ${relativeError(bh0.gradient, exact.gradient)}`);
      assert.ok(Math.abs(bh0.normalisation / exact.normalisation - 1) < 1e-12);
      assert.ok(Math.abs(bh0.klDivergence - exact.klDivergence) < 1e-9);
      const bh = barnesHutGradient(p, y, dims, 0.5);
      const error = relativeError(bh.gradient, exact.gradient);
      assert.ok(error < 5e-2, `${dims}-D theta 0.5: relative error ${error}`);
      // An approximation, not the exact sum: it must differ somewhat.
      assert.ok(error > 1e-6, `${dims}-D theta 0.5 is suspiciously exact (${error}): is the tree summarising?`);
      assert.ok(Math.abs(bh.normalisation / exact.normalisation - 1) < 2e-2);
      // A coarser theta is a worse approximation.
      assert.ok(relativeError(barnesHutGradient(p, y, dims, 1).gradient, exact.gradient) > error);
    }
  });

  it('Barnes-Hut handles coincident points (self-interactions left out)', () => {
    const random = new Random(6);
    const n = 40;
    const p = randomAffinities(n, 4, random);
    const y = Float64Array.from({ length: n * 2 }, () => random.normal());
    // Points 1..5 sit exactly on point 0.
    for (let i = 1; i <= 5; i++) y.set(y.subarray(0, 2), 2 * i);
    const exact = exactGradient(p, y, 2);
    const bh = barnesHutGradient(p, y, 2, 0);
    assert.ok(relativeError(bh.gradient, exact.gradient) < 1e-9);
    assert.ok(Math.abs(bh.normalisation / exact.normalisation - 1) < 1e-12);
  });
});

describe('tsne', () => {
  it('separates three Gaussian clusters in 10-D, and the layout is trustworthy', async () => {
    const random = new Random(7);
    const { data, labels } = gaussianClusters(3, 100, 10, random);
    const iterations: number[] = [];
    const checks: number[] = [];
    const result = await tsne(data, {
      progress: false,
      perplexity: 20,
      onIteration: (it, kl) => {
        iterations.push(it);
        if (kl !== undefined) checks.push(it);
      },
    });
    assert.equal(result.embedding.count, 300);
    assert.equal(result.embedding.latentDim, 2);
    assert.equal(result.iterations, 1000);
    assert.deepEqual(iterations, Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.deepEqual(checks, Array.from({ length: 20 }, (_, i) => 50 * (i + 1)));
    assert.ok(result.klDivergence > 0 && result.klDivergence < 2, `KL ${result.klDivergence}`);
    const accuracy = await oneNnAccuracy(result.embedding, labels);
    assert.ok(accuracy >= 0.98, `1-NN accuracy ${accuracy}`);
    // Each cluster lies far from the others: the gap between clusters exceeds the clusters' spread.
    const centres = [0, 1, 2].map((c) => {
      const members = labels.flatMap((l, i) => (l === c ? [i] : []));
      return [0, 1].map((a) => members.reduce((s, i) => s + result.embedding.z[2 * i + a], 0) / members.length);
    });
    let spread = 0;
    labels.forEach((c, i) => {
      spread = Math.max(spread, Math.hypot(result.embedding.z[2 * i] - centres[c][0], result.embedding.z[2 * i + 1] - centres[c][1]));
    });
    for (let a = 0; a < 3; a++) {
      for (let b = a + 1; b < 3; b++) {
        const gap = Math.hypot(centres[a][0] - centres[b][0], centres[a][1] - centres[b][1]);
        assert.ok(gap > 2 * spread, `clusters ${a} and ${b}: centres ${gap} apart, largest radius ${spread}`);
      }
    }
    const trust = await trustworthiness(data, result.embedding, 5);
    const shuffled = { ...result.embedding, z: Float32Array.from({ length: 600 }, () => random.normal()) };
    const trustRandom = await trustworthiness(data, shuffled, 5);
    assert.ok(trust > 0.85 && trust > trustRandom + 0.2, `trustworthiness ${trust}, of a random layout ${trustRandom}`);
  });

  it('builds P from floor(3 perplexity + 1) exact neighbours (at most N - 1)', async () => {
    const random = new Random(12);
    const { data } = gaussianClusters(2, 30, 4, random);
    for (const [perplexity, k] of [[5, 16], [25, 59]]) {
      const result = await tsne(data, { progress: false, perplexity, iterations: 1 });
      const nn = await nearestNeighbours(data, data, k, { excludeSelf: true });
      const expected = symmetrize(nn.indices, perplexityAffinities(nn.distances, k, perplexity).values, 60, k);
      assert.deepEqual(result.affinities, expected, `perplexity ${perplexity}`);
    }
  });

  it('steps as scikit-learn: exaggerated P and momentum 0.5, then 0.8; gains +0.2 while the gradient opposes the last update, else x0.8, at least 0.01', async () => {
    const random = new Random(13);
    const { data } = gaussianClusters(2, 15, 4, random);
    const n = 30;
    const init = Float64Array.from({ length: n * 2 }, () => random.normal());
    for (const theta of [0, 0.5]) {
      const steps: Float64Array[] = [];
      const options = { progress: false, perplexity: 5, iterations: 40, exaggeration: 4, exaggerationIterations: 10, learningRate: 100, theta, init };
      const result = await tsne(data, { ...options, onIteration: (_, __, y) => steps.push(Float64Array.from(y)) });
      const y = Float64Array.from(init);
      const update = new Float64Array(n * 2);
      const gains = new Float64Array(n * 2).fill(1);
      for (let it = 0; it < 40; it++) {
        const exaggeration = it < 10 ? 4 : 1;
        const { gradient } = theta === 0 ? exactGradient(result.affinities, y, 2, { exaggeration }) : barnesHutGradient(result.affinities, y, 2, theta, { exaggeration });
        for (let e = 0; e < n * 2; e++) {
          gains[e] = Math.max(0.01, update[e] * gradient[e] < 0 ? gains[e] + 0.2 : gains[e] * 0.8);
          update[e] = (it < 10 ? 0.5 : 0.8) * update[e] - 100 * (gains[e] * gradient[e]);
          y[e] += update[e];
        }
        assert.ok(relativeError(steps[it], y) < 1e-12, `theta ${theta}, step ${it + 1}: ${relativeError(steps[it], y)}`);
      }
      assert.ok(gains.includes(0.01), 'some gain reached its floor');
      assert.deepEqual(result.embedding.z, Float32Array.from(y));
      const final = theta === 0 ? exactGradient(result.affinities, y, 2) : barnesHutGradient(result.affinities, y, 2, theta);
      assert.ok(Math.abs(result.klDivergence - final.klDivergence) < 1e-12);
    }
  });

  it('gives the same layout for the same seed and another for another seed; PCA start is deterministic', async () => {
    const random = new Random(8);
    const { data } = gaussianClusters(2, 40, 5, random);
    const options = { progress: false, perplexity: 10, iterations: 120, exaggerationIterations: 60, init: 'random' as const };
    const a = await tsne(data, { ...options, seed: 1 });
    const b = await tsne(data, { ...options, seed: 1 });
    const c = await tsne(data, { ...options, seed: 2 });
    assert.deepEqual(a.embedding.z, b.embedding.z);
    assert.notDeepEqual(a.embedding.z, c.embedding.z);
    const d = await tsne(data, { ...options, init: 'pca', seed: 1 });
    const e = await tsne(data, { ...options, init: 'pca', seed: 5 });
    assert.deepEqual(d.embedding.z, e.embedding.z);
  });

  it('starts from the PCA layout scaled to standard deviation 1e-4 on the first axis, or from given positions', async () => {
    const random = new Random(9);
    // Variance 100 along axis 0, 1 along axis 1, 0.01 along axis 2: the PCA start is axes 0 and 1.
    const n = 60;
    const z = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      z[i * 3] = 10 * random.normal();
      z[i * 3 + 1] = random.normal();
      z[i * 3 + 2] = 0.1 * random.normal();
    }
    let first: Float64Array | undefined;
    // A negligible learning rate: after one step the layout is still the start.
    await tsne({ z, count: n, latentDim: 3 }, { progress: false, perplexity: 5, iterations: 1, learningRate: 1e-12, onIteration: (_, __, y) => (first = Float64Array.from(y)) });
    const column = (a: number) => Array.from({ length: n }, (_, i) => first![2 * i + a]);
    const std = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length - (v.reduce((s, x) => s + x, 0) / v.length) ** 2);
    assert.ok(Math.abs(std(column(0)) / 1e-4 - 1) < 0.05, `std of the first axis ${std(column(0))}`);
    assert.ok(std(column(1)) < 0.3 * std(column(0)));
    const correlation = column(0).reduce((s, v, i) => s + v * z[i * 3], 0) / Math.sqrt(column(0).reduce((s, v) => s + v * v, 0) * column(0).reduce((s, _, i) => s + z[i * 3] ** 2, 0));
    assert.ok(Math.abs(correlation) > 0.99, `first axis against the data's widest axis: correlation ${correlation}`);
    // Given positions are used as they are.
    const init = Float64Array.from({ length: n * 2 }, (_, e) => e * 1e-5);
    let given: Float64Array | undefined;
    await tsne({ z, count: n, latentDim: 3 }, { progress: false, perplexity: 5, iterations: 1, learningRate: 1e-12, init, onIteration: (_, __, y) => (given = Float64Array.from(y)) });
    assert.ok(relativeError(given!, init) < 1e-6);
  });

  it('runs the exact gradient at theta 0 and lays out 1-D and 3-D', async () => {
    const random = new Random(10);
    const { data, labels } = gaussianClusters(2, 30, 4, random);
    // The auto rate's floor of 50 is large for 60 points (in 1-D a few points then stay on the wrong side).
    const exact = await tsne(data, { progress: false, perplexity: 8, iterations: 400, theta: 0, learningRate: 10 });
    assert.ok((await oneNnAccuracy(exact.embedding, labels)) >= 0.98);
    for (const dimensions of [1, 3]) {
      const result = await tsne(data, { progress: false, perplexity: 8, iterations: 400, dimensions, learningRate: 10 });
      assert.equal(result.embedding.latentDim, dimensions);
      assert.equal(result.embedding.z.length, 60 * dimensions);
      assert.ok((await oneNnAccuracy(result.embedding, labels)) >= 0.98, `${dimensions}-D`);
    }
  });

  it('shows one progress line ending with the time, leaks no tensors, and reuses a given neighbour graph', async () => {
    const random = new Random(14);
    const { data } = gaussianClusters(2, 20, 3, random);
    const sent: DisplayBundle[] = [];
    setDisplaySink((bundle) => sent.push(bundle));
    const before = tf.memory().numTensors;
    const options = { perplexity: 4, iterations: 60, exaggerationIterations: 20, seed: 3 };
    const result = await tsne(data, options);
    assert.equal(tf.memory().numTensors, before);
    const text = sent.map((b) => String(b.data['text/plain']));
    assert.ok(text.length >= 2, text.join(' | '));
    assert.match(text[0], /^t-SNE of 40 points: exact 13-nearest neighbours$/);
    assert.match(text[text.length - 1], /^t-SNE of 40 points: 60 steps in \d+\.\d s, KL \d+\.\d{3} \(exact neighbours \d+\.\d s\)$/);
    assert.equal(new Set(sent.map((b) => b.transient?.display_id)).size, 1, 'one line, updated in place');
    // A graph with more neighbours than needed: only the nearest 13 are used.
    const graph = await nearestNeighbours(data, data, 20, { excludeSelf: true });
    const reused = await tsne(data, { ...options, progress: false, neighbourGraph: graph });
    assert.deepEqual(reused.embedding.z, result.embedding.z);
    assert.equal(reused.timings.neighbours, 0);
    const few = await nearestNeighbours(data, data, 12, { excludeSelf: true });
    await assert.rejects(tsne(data, { ...options, progress: false, neighbourGraph: few }), /neighbourGraph should hold at least 13 neighbours .* of each of 40 points, got 12 of 40/);
  });

  it('rejects bad input, naming the argument and the value', async () => {
    const data: Embedding = { z: new Float32Array(20 * 3).map((_, i) => Math.sin(i)), count: 20, latentDim: 3 };
    const rejects = (options: Parameters<typeof tsne>[1], pattern: RegExp, input: Embedding = data) => assert.rejects(tsne(input, { progress: false, ...options }), pattern);
    await rejects({ perplexity: 20 }, /perplexity must be at least 1 and less than the number of points \(20\), got 20/);
    await rejects({ perplexity: 0.5 }, /perplexity .* got 0\.5/);
    await rejects({}, /tsne needs at least 2 points, got 1/, { z: new Float32Array(3), count: 1, latentDim: 3 });
    await rejects({ perplexity: 5 }, /tsne: data: expected 20 x 3 values, got 59/, { ...data, z: data.z.subarray(0, 59) });
    await rejects({ perplexity: 5 }, /data\.z\[4\] is NaN/, { ...data, z: Float32Array.from(data.z, (v, i) => (i === 4 ? NaN : v)) });
    await rejects({ perplexity: 5, dimensions: 4 }, /dimensions must be 1, 2 or 3, got 4/);
    await rejects({ perplexity: 5, init: new Float32Array(39) }, /init: expected 20 x 2 = 40 values, got 39/);
    await rejects({ perplexity: 5, init: 'spectral' as 'pca' }, /init must be "pca", "random" or an array of positions, got "spectral"/);
    await rejects({ perplexity: 5, theta: -1 }, /theta must be a number >= 0, got -1/);
    await rejects({ perplexity: 5, learningRate: 0 }, /learningRate must be a positive number or "auto", got 0/);
    await rejects({ perplexity: 5, iterations: 0 }, /iterations must be a positive integer, got 0/);
    await rejects({ perplexity: 5, exaggeration: 0.5 }, /exaggeration must be a number of at least 1, got 0\.5/);
    await rejects({ perplexity: 5, exaggerationIterations: 1.5 }, /exaggerationIterations must be an integer >= 0, got 1\.5/);
    await rejects({ perplexity: 5, dimensions: 3 }, /init "pca" needs at least 3 input dimensions \(dimensions\), the data has 2; use init "random"/, { z: new Float32Array(40), count: 20, latentDim: 2 });
    assert.throws(() => perplexityAffinities([1, 2, 3], 2, 5), /3 distances are not rows of k = 2/);
    assert.throws(() => perplexityAffinities([1, -2], 2, 1.5), /distance \[0, 1\] is -2/);
    assert.throws(() => symmetrize([0, 1], [1, 1], 2, 1), /neighbour 0 of point 0 is 0, expected another point in 0\.\.1/);
    assert.throws(() => symmetrize([1, 0], [1], 2, 1), /expected 2 x 1 = 2 probabilities, got 1/);
    const p = randomAffinities(10, 2, new Random(1));
    assert.throws(() => barnesHutGradient(p, new Float64Array(19), 2, 0.5), /y: expected 10 x 2 = 20 values, got 19/);
    assert.throws(() => barnesHutGradient(p, new Float64Array(20), 2, -0.1), /theta must be a number >= 0, got -0\.1/);
    assert.throws(() => exactGradient(new Float64Array(10), new Float64Array(20), 2), /a dense P needs count x count values, got 10/);
    assert.throws(() => exactGradient(p, new Float64Array(20), 2, { exaggeration: 0 }), /exaggeration must be a positive number, got 0/);
  });
});
