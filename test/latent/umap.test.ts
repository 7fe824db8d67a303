import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UMAP } from 'umap-js';
import { Random } from '../../src/core/random';
import { setDisplaySink } from '../../src/core/output';
import type { DisplayBundle } from '../../src/core/output';
import type { Embedding } from '../../src/latent/embed';
import { knnAccuracy, trustworthiness } from '../../src/evaluation/embedding-metrics';
import { nearestNeighbours } from '../../src/latent/knn';
import { fastPow, optimizeUmapLayoutEpoch, powerTable, umap, umapLayoutFromModel, umapNeighbourRows } from '../../src/latent/umap';

before(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => setDisplaySink(null));

/** `n` points in 10-D, in three far-apart clusters, each a curved 2-D sheet (so a 2-D map can keep its neighbours). */
function sheets(n: number, seed: number): { data: Embedding; labels: number[] } {
  const random = new Random(seed);
  const dim = 10;
  const z = new Float32Array(n * dim);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    const u = random.next() * 4 - 2;
    const v = random.next() * 4 - 2;
    const features = [u, v, Math.sin(u), Math.cos(v), (u * v) / 2];
    for (let d = 0; d < dim; d++) z[i * dim + d] = (d === c * 3 ? 20 : 0) + features[d % 5] * (d < 5 ? 1 : 0.5) + 0.05 * random.normal();
  }
  return { data: { z, count: n, latentDim: dim }, labels };
}

const rows = (e: Embedding, from: number, to: number): Embedding => ({ z: e.z.subarray(from * e.latentDim, to * e.latentDim), count: to - from, latentDim: e.latentDim });

/** 1-NN accuracy of the clusters in an embedding: the first 200 points label the last 100. */
const separation = (e: Embedding, labels: number[]) => knnAccuracy(rows(e, 0, 200), labels.slice(0, 200), rows(e, 200, 300), labels.slice(200), 1);

describe('umap', () => {
  const { data, labels } = sheets(300, 3);

  it('separates three clusters and keeps neighbours; a scrambled neighbour graph does neither', async () => {
    const result = await umap(data, { seed: 1, epochs: 200, progress: false });
    assert.equal(result.epochs, 200);
    assert.equal(result.embedding.count, 300);
    assert.equal(result.embedding.latentDim, 2);
    assert.ok(result.knnSeconds > 0 && result.seconds >= result.knnSeconds);
    const accuracy = await separation(result.embedding, labels);
    const trust = await trustworthiness(data, result.embedding, 5);
    assert.ok(accuracy >= 0.98, `1-NN accuracy ${accuracy}`);
    assert.ok(trust > 0.95, `trustworthiness ${trust}`);
    // The same run on a graph whose neighbours are random points: the map is noise.
    const exact = await nearestNeighbours(data, data, 14, { excludeSelf: true });
    const random = new Random(9);
    const scrambled = { ...exact, indices: exact.indices.map((_, j) => (Math.floor(j / 14) + 1 + random.int(299)) % 300) };
    const bad = await umap(data, { seed: 1, epochs: 200, progress: false, neighbourGraph: scrambled });
    assert.equal(bad.knnSeconds, 0);
    const badAccuracy = await separation(bad.embedding, labels);
    const badTrust = await trustworthiness(data, bad.embedding, 5);
    assert.ok(badAccuracy < 0.6, `1-NN accuracy on a scrambled graph ${badAccuracy}`);
    assert.ok(badTrust < 0.7, `trustworthiness on a scrambled graph ${badTrust}`);
    // Given the exact graph, the result is the one computed inside.
    const reused = await umap(data, { seed: 1, epochs: 200, progress: false, neighbourGraph: exact });
    assert.deepEqual(reused.embedding.z, result.embedding.z);
  });

  it('hands umap-js the exact graph: each point first at distance 0, then its nearest, in Euclidean distance', async () => {
    const small = rows(data, 0, 60);
    const proto = UMAP.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = { set: proto.setPrecomputedKNN, search: proto.nearestNeighbors };
    type Rows = { indices: number[][]; distances: number[][] };
    let given: Rows | undefined;
    let searched = false;
    proto.setPrecomputedKNN = function (this: unknown, indices: unknown, distances: unknown) {
      given = { indices: indices as number[][], distances: distances as number[][] };
      return original.set.call(this, indices, distances);
    };
    proto.nearestNeighbors = function (this: unknown, ...args: unknown[]) {
      searched = true;
      return original.search.apply(this, args);
    };
    try {
      await umap(small, { seed: 1, neighbours: 6, epochs: 5, progress: false });
    } finally {
      proto.setPrecomputedKNN = original.set;
      proto.nearestNeighbors = original.search;
    }
    assert.ok(given !== undefined, 'setPrecomputedKNN was called');
    assert.equal(searched, false, 'umap-js ran no approximate search of its own');
    const seen: Rows = given;
    assert.equal(seen.indices.length, 60);
    const distance = (i: number, j: number) => {
      let s = 0;
      for (let d = 0; d < 10; d++) s += (small.z[i * 10 + d] - small.z[j * 10 + d]) ** 2;
      return Math.sqrt(s);
    };
    for (let i = 0; i < 60; i++) {
      const row = seen.indices[i];
      const dist = seen.distances[i];
      assert.equal(row.length, 6, 'neighbours counts the point itself');
      assert.equal(row[0], i);
      assert.equal(dist[0], 0);
      // The other five are the five nearest by brute force, ascending, as plain (not squared) distances.
      const others = Array.from({ length: 60 }, (_, j) => j).filter((j) => j !== i).sort((a, b) => distance(i, a) - distance(i, b));
      assert.deepEqual(row.slice(1), others.slice(0, 5), `neighbours of point ${i}`);
      for (let j = 1; j < 6; j++) assert.ok(Math.abs(dist[j] - distance(i, row[j])) < 1e-4 * (1 + dist[j]), `distance ${j} of point ${i}: ${dist[j]}, expected ${distance(i, row[j])}`);
    }
  });

  it('optimises the layout as umap-js does, bit for bit, with Math.pow (exact), in 2-D and 3-D', async () => {
    const small = rows(data, 0, 200);
    const rowsOf = (e: Embedding) => Array.from({ length: e.count }, (_, i) => Array.from(e.z.subarray(i * e.latentDim, (i + 1) * e.latentDim)));
    for (const [dimensions, neighbours, epochs, seed] of [[2, 15, 300, 1], [3, 10, 200, 2]]) {
      const { indices, distances } = umapNeighbourRows(await nearestNeighbours(small, small, neighbours - 1, { excludeSelf: true }));
      const model = (X: number[][]) => {
        const random = new Random(seed);
        const m = new UMAP({ nComponents: dimensions, nNeighbors: neighbours, nEpochs: epochs, random: () => random.next() });
        m.setPrecomputedKNN(indices, distances);
        m.initializeFit(X);
        return m;
      };
      // umap-js's own loop, on the real rows.
      const theirs = model(rowsOf(small));
      for (let e = 0; e < epochs; e++) theirs.step();
      // Ours, on umap-js's state after initializeFit (given n empty rows: with a precomputed graph it reads only their number).
      const layout = umapLayoutFromModel(model(new Array<number[]>(200)));
      assert.equal(layout.dimensions, dimensions);
      while (layout.currentEpoch < layout.nEpochs) optimizeUmapLayoutEpoch(layout, true);
      assert.equal(layout.currentEpoch, epochs);
      assert.equal(optimizeUmapLayoutEpoch(layout, true), epochs, 'no epoch past the last');
      const expected = theirs.getEmbedding();
      let maxDiff = 0;
      let differing = 0;
      for (let i = 0; i < 200; i++) {
        for (let d = 0; d < dimensions; d++) {
          const ours = layout.embedding[i * dimensions + d];
          maxDiff = Math.max(maxDiff, Math.abs(ours - expected[i][d]));
          if (!Object.is(ours, expected[i][d])) differing++;
        }
      }
      assert.equal(differing, 0, `${dimensions}-D: ${differing} coordinates differ from umap-js's, by up to ${maxDiff}`);
      // And umap() itself: its exact layout is umap-js's, and so is its umap-js path.
      const viaUmap = await umap(small, { seed, neighbours, epochs, dimensions, progress: false, optimiser: 'exact' });
      assert.deepEqual(viaUmap.embedding.z, Float32Array.from(expected.flat()));
      const viaUmapJs = await umap(small, { seed, neighbours, epochs, dimensions, progress: false, optimiser: 'umap-js' });
      assert.deepEqual(viaUmapJs.embedding.z, viaUmap.embedding.z);
    }
  });

  it('fast powers are within 1e-8 of Math.pow, and the fast layout is as good as the exact one', async () => {
    const random = new Random(4);
    for (const power of [0.8950608779109733, -0.1049391220890267, 0.5, 1.5, 1.93, -0.9]) {
      const table = powerTable(power);
      let worst = 0;
      for (let i = 0; i < 20000; i++) {
        const x = 2 ** (random.next() * 80 - 40) * (1 + random.next());
        worst = Math.max(worst, Math.abs(fastPow(x, table) / Math.pow(x, power) - 1));
      }
      assert.ok(worst < 1e-8, `power ${power}: relative error ${worst}`);
      assert.equal(fastPow(0, table), Math.pow(0, power));
      assert.equal(fastPow(1e-310, table), Math.pow(1e-310, power), 'subnormal: Math.pow');
    }
    const options = { seed: 5, epochs: 200, progress: false };
    const fast = await umap(data, { ...options, optimiser: 'fast' });
    const exact = await umap(data, { ...options, optimiser: 'exact' });
    assert.deepEqual((await umap(data, options)).embedding.z, fast.embedding.z, 'fast is the default');
    assert.notDeepEqual(fast.embedding.z, exact.embedding.z);
    const trustFast = await trustworthiness(data, fast.embedding, 5);
    const trustExact = await trustworthiness(data, exact.embedding, 5);
    assert.ok(Math.abs(trustFast - trustExact) < 0.01, `trustworthiness fast ${trustFast}, exact ${trustExact}`);
    assert.ok((await separation(fast.embedding, labels)) >= 0.98);
  });

  it('refuses a umap-js model whose internal state is not as expected', () => {
    assert.throws(() => umapLayoutFromModel(new UMAP()), /umap: umap-js's internal optimisation state is not as expected for umap-js 1\.4\.0 \(no embedding\)/);
  });

  it('is deterministic for a seed, and another seed gives another map', async () => {
    const small = rows(data, 0, 90);
    const options = { neighbours: 8, epochs: 50, progress: false };
    const a = await umap(small, { ...options, seed: 7 });
    const b = await umap(small, { ...options, seed: 7 });
    const c = await umap(small, { ...options, seed: 8 });
    assert.deepEqual(a.embedding.z, b.embedding.z);
    assert.notDeepEqual(a.embedding.z, c.embedding.z);
    const three = await umap(small, { ...options, seed: 7, dimensions: 3 });
    assert.equal(three.embedding.latentDim, 3);
    assert.equal(three.embedding.z.length, 270);
  });

  it('shows progress and a final line with the time; umap-js\'s default epochs', async () => {
    const sent: DisplayBundle[] = [];
    setDisplaySink((bundle) => sent.push(bundle));
    const result = await umap(rows(data, 0, 40), { seed: 1, neighbours: 5 });
    // umap-js runs 500 epochs on up to 2,500 points.
    assert.equal(result.epochs, 500);
    const text = sent.map((b) => String(b.data['text/plain']));
    assert.ok(text.length >= 2, text.join(' | '));
    assert.match(text[text.length - 1], /^UMAP of 40 points: 500 epochs in \d+\.\d s \(exact neighbours \d+\.\d s\)$/);
    assert.equal(new Set(sent.map((b) => b.transient?.display_id)).size, 1, 'one line, updated in place');
  });

  it('refuses bad input with errors that name it', async () => {
    const small = rows(data, 0, 10);
    await assert.rejects(umap(small, { seed: 1, neighbours: 1 }), /neighbours must be an integer >= 2 \(the point itself and at least one other\), got 1/);
    await assert.rejects(umap(small, { seed: 1, neighbours: 10 }), /neighbours = 10 must be less than the 10 points/);
    await assert.rejects(umap(rows(data, 0, 2), { seed: 1, neighbours: 2 }), /needs at least 3 points, got 2/);
    await assert.rejects(umap(small, { seed: 1, neighbours: 4, dimensions: 0 }), /dimensions must be a positive integer, got 0/);
    await assert.rejects(umap(small, { seed: 1, neighbours: 4, epochs: 2.5 }), /epochs must be a positive integer, got 2.5/);
    await assert.rejects(umap(small, { seed: 1, neighbours: 4, minDist: 2 }), /minDist = 2 must not exceed spread = 1/);
    await assert.rejects(umap(small, { seed: 1.5, neighbours: 4 }), /seed must be an integer, got 1.5/);
    const graph = await nearestNeighbours(small, small, 3, { excludeSelf: true });
    await assert.rejects(umap(small, { seed: 1, neighbours: 5, neighbourGraph: graph }), /neighbourGraph has 3 neighbours per point, expected neighbours - 1 = 4/);
    const selfish = { ...graph, indices: graph.indices.map((v, j) => (j === 0 ? 0 : v)) };
    await assert.rejects(umap(small, { seed: 1, neighbours: 4, neighbourGraph: selfish }), /neighbour 0 of point 0 is 0, expected another point in 0..9/);
    const nan = { z: Float32Array.from(small.z, (v, i) => (i === 13 ? NaN : v)), count: 10, latentDim: 10 };
    await assert.rejects(umap(nan, { seed: 1, neighbours: 4 }), /data value 13 \(point 1\) is NaN/);
    await assert.rejects(umap(small, { seed: 1, neighbours: 4, optimiser: 'numba' as 'fast' }), /optimiser must be "fast", "exact" or "umap-js", got numba/);
  });
});
