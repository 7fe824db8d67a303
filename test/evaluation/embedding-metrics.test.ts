import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import type { Embedding } from '../../src/latent/embed';
import { adjustedRandIndex, classCentroidDistances, classMeans, continuity, knnAccuracy, normalizedMutualInfo, silhouetteScore, trustworthiness, vMeasure } from '../../src/evaluation/embedding-metrics';
import { sliceEmbedding } from '../../src/latent/embed';
import { kMeans, type KMeansEngine } from '../../src/latent/kmeans';

before(async () => {
  await tf.setBackend('cpu');
});

// A fixed small set, built by the same formulas in Python. The scikit-learn 1.9.1 values below came
// from this script (scikit-learn from pip's index, /usr/bin/python3 -m venv; run with its python):
//
//   import math, numpy as np
//   from sklearn.manifold import trustworthiness
//   from sklearn.metrics import silhouette_score, adjusted_rand_score, normalized_mutual_info_score, homogeneity_completeness_v_measure
//   from sklearn.neighbors import KNeighborsClassifier
//   from sklearn.cluster import KMeans
//   n = 60
//   X = np.array([[math.sin(1.7 * i + 0.9 * d) + 0.3 * ((i * (d + 3)) % 7) for d in range(4)] for i in range(n)])
//   E = np.array([[X[i, 0] + 0.4 * math.cos(2.3 * i), X[i, 1] * X[i, 2]] for i in range(n)])
//   labels = np.array([int(X[i, 0] > 0.5) + int(X[i, 1] > 0.8) for i in range(n)])
//   clusters = np.array([(i * i + i // 4) % 4 for i in range(n)])
//   trustworthiness(X, E, n_neighbors=5); trustworthiness(X, E, n_neighbors=10); trustworthiness(E, X, n_neighbors=5)
//   silhouette_score(X, labels); silhouette_score(E, clusters)
//   adjusted_rand_score(labels, clusters); normalized_mutual_info_score(labels, clusters)
//   homogeneity_completeness_v_measure(labels, clusters)
//   KNeighborsClassifier(n_neighbors=5).fit(X[:40], labels[:40]).score(X[40:], labels[40:])
//   KMeans(n_clusters=3, n_init=10, random_state=0).fit(X).inertia_
const n = 60;
const X = Array.from({ length: n }, (_, i) => Array.from({ length: 4 }, (_, d) => Math.sin(1.7 * i + 0.9 * d) + 0.3 * ((i * (d + 3)) % 7)));
const E = X.map((row, i) => [row[0] + 0.4 * Math.cos(2.3 * i), row[1] * row[2]]);
const labels = X.map((row) => Number(row[0] > 0.5) + Number(row[1] > 0.8));
const clusters = Array.from({ length: n }, (_, i) => (i * i + Math.floor(i / 4)) % 4);
const embedding = (rows: number[][]): Embedding => ({ z: Float32Array.from(rows.flat()), count: rows.length, latentDim: rows[0].length });
const sklearn = {
  trust5: 0.7621794871794871,
  trust10: 0.8044194756554307,
  continuity5: 0.875576923076923,
  silhouetteX: 0.11047522709436927,
  silhouetteE: -0.08894643400178484,
  ari: -0.026364620380392764,
  nmi: 0.015845870988003326,
  homogeneity: 0.0185951687054649,
  completeness: 0.013804825966061987,
  knn5: 0.55,
  kmeansInertia: 108.27448928000646,
};
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a}, scikit-learn ${b}`);

describe('embedding metrics against scikit-learn on a fixed set', () => {
  it('trustworthiness and continuity', async () => {
    close(await trustworthiness(embedding(X), embedding(E), 5), sklearn.trust5, 1e-9, 'trustworthiness, 5 neighbours');
    close(await trustworthiness(embedding(X), embedding(E), 10), sklearn.trust10, 1e-9, 'trustworthiness, 10 neighbours');
    close(await continuity(embedding(X), embedding(E), 5), sklearn.continuity5, 1e-9, 'continuity, 5 neighbours');
  });

  it('the mean silhouette, kNN accuracy, ARI, NMI and the v-measure', async () => {
    close(await silhouetteScore(embedding(X), labels), sklearn.silhouetteX, 1e-5, 'silhouette of the labels in X');
    close(await silhouetteScore(embedding(E), clusters), sklearn.silhouetteE, 1e-5, 'silhouette of the clusters in E');
    close(await knnAccuracy(embedding(X.slice(0, 40)), labels.slice(0, 40), embedding(X.slice(40)), labels.slice(40), 5), sklearn.knn5, 1e-12, '5-NN accuracy');
    close(adjustedRandIndex(labels, clusters), sklearn.ari, 1e-12, 'ARI');
    close(normalizedMutualInfo(labels, clusters), sklearn.nmi, 1e-12, 'NMI');
    const v = vMeasure(labels, clusters);
    close(v.homogeneity, sklearn.homogeneity, 1e-12, 'homogeneity');
    close(v.completeness, sklearn.completeness, 1e-12, 'completeness');
  });

  it('k-means reaches scikit-learn\'s inertia', () => {
    // This set has many local optima (20 single runs end at 19 different inertias, 108.18 to 110.74):
    // with 50 restarts the best run must be at least as good as scikit-learn's 10.
    const result = kMeans(embedding(X), 3, { seed: 1, restarts: 50 });
    assert.ok(result.inertia <= sklearn.kmeansInertia * (1 + 1e-6), `inertia ${result.inertia}, scikit-learn ${sklearn.kmeansInertia}`);
    assert.equal(result.assignments.length, n);
    assert.deepEqual(kMeans(embedding(X), 3, { seed: 1, restarts: 50 }).assignments, result.assignments);
  });
});

describe('embedding metrics on cases whose answer is known', () => {
  it('trustworthiness and continuity are 1 for a rotation and fall when neighbours are shuffled', async () => {
    const random = new Random(3);
    const points = Array.from({ length: 100 }, () => [random.normal(), random.normal()]);
    const rotated = points.map(([a, b]) => [0.6 * a - 0.8 * b, 0.8 * a + 0.6 * b]);
    close(await trustworthiness(embedding(points), embedding(rotated), 5), 1, 1e-12, 'a rotation keeps every neighbour');
    close(await continuity(embedding(points), embedding(rotated), 5), 1, 1e-12, 'a rotation loses no neighbour');
    const shuffled = random.shuffle(points.slice());
    assert.ok((await trustworthiness(embedding(points), embedding(shuffled), 5)) < 0.7);
    await assert.rejects(trustworthiness(embedding(points), embedding(points.slice(1)), 5), /100 original points against 99/);
    await assert.rejects(trustworthiness(embedding(points), embedding(rotated), 50), /k = 50 must be less than n \/ 2/);
  });

  it('silhouette: near 1 for tight far-apart clusters; by hand on four points; 0 for singletons', async () => {
    const tight = [[0, 0], [0, 0.1], [10, 0], [10, 0.1]];
    // a = 0.1, b = the mean of 10 and sqrt(100.01), for every point.
    const b = (10 + Math.sqrt(100.01)) / 2;
    close(await silhouetteScore(embedding(tight), [0, 0, 1, 1]), (b - 0.1) / b, 1e-5, 'two pairs');
    // A point alone in its cluster counts 0: three points, clusters {0, 1} and {2}.
    const line = [[0], [1], [3]];
    const s0 = (3 - 1) / 3; // a = 1, b = 3
    const s1 = (2 - 1) / 2; // a = 1, b = 2
    close(await silhouetteScore(embedding(line), [5, 5, 9]), (s0 + s1 + 0) / 3, 1e-6, 'with a singleton');
    await assert.rejects(silhouetteScore(embedding(line), [1, 1, 1]), /needs 2 to 2 clusters, got 1/);
  });

  it('ARI and NMI: 1 for the same partition under other names, about 0 for independent labels', () => {
    const a = [0, 0, 1, 1, 2, 2, 2];
    const renamed = [7, 7, 3, 3, 5, 5, 5];
    assert.equal(adjustedRandIndex(a, renamed), 1);
    close(normalizedMutualInfo(a, renamed), 1, 1e-12, 'NMI of a renaming');
    const random = new Random(4);
    const x = Array.from({ length: 5000 }, () => random.int(5));
    const y = Array.from({ length: 5000 }, () => random.int(5));
    assert.ok(Math.abs(adjustedRandIndex(x, y)) < 0.01);
    assert.ok(normalizedMutualInfo(x, y) < 0.01);
    // A hand case: ARI of {0,0,1,1} against {0,0,0,1}: index 1, expected 2 * 3 / 6 = 1, max 2: (1 - 1) / (2 - 1) = 0.
    close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 0, 1]), 0, 1e-12, 'ARI by hand');
    assert.throws(() => adjustedRandIndex([0, 1], [0]), /2 labels against 1/);
  });

  it('k-means recovers well-separated blobs and refuses k > n', () => {
    const random = new Random(8);
    const centres = [[0, 0], [8, 0], [0, 8], [8, 8]];
    const truth: number[] = [];
    const rows: number[][] = [];
    for (let i = 0; i < 200; i++) {
      const c = i % 4;
      truth.push(c);
      rows.push([centres[c][0] + random.normal(), centres[c][1] + random.normal()]);
    }
    const result = kMeans(embedding(rows), 4, { seed: 2 });
    assert.equal(adjustedRandIndex(truth, Array.from(result.assignments)), 1);
    assert.throws(() => kMeans(embedding(rows.slice(0, 3)), 4, { seed: 1 }), /k = 4 is more than the 3 points/);
    assert.throws(() => kMeans(embedding(rows), 4, { seed: 1, engine: 'fast' as KMeansEngine }), /engine must be auto\|bounds\|native, got "fast"/);
  });

  it('k-means stops at a fixed point of Lloyd\'s step: every point at its nearest centroid, every centroid its points\' mean', () => {
    // Overlapping blobs, so that many points sit near a boundary where a wrongly skipped distance
    // (Elkan's bounds) would leave a point with the wrong centroid or a centroid off its points' mean.
    const random = new Random(3);
    const rows: number[][] = [];
    // float32 values, as the embedding holds them
    for (let i = 0; i < 1500; i++) rows.push(Array.from({ length: 8 }, (_, d) => Math.fround((d === i % 6 ? 1.5 : 0) + random.normal())));
    const result = kMeans(embedding(rows), 6, { seed: 4, restarts: 2, tolerance: 0 });
    const means = new Float64Array(6 * 8);
    const sizes = new Float64Array(6);
    rows.forEach((row, i) => {
      const c = result.assignments[i];
      sizes[c]++;
      row.forEach((v, d) => (means[c * 8 + d] += v));
      const dist = (k: number) => row.reduce((s, v, d) => s + (v - result.centroids[k * 8 + d]) ** 2, 0);
      for (let k = 0; k < 6; k++) assert.ok(dist(c) <= dist(k) + 1e-9, `point ${i} is nearer centroid ${k} than its own ${c}`);
    });
    for (let k = 0; k < 6; k++) {
      for (let d = 0; d < 8; d++) assert.ok(Math.abs(means[k * 8 + d] / sizes[k] - result.centroids[k * 8 + d]) < 1e-9, `centroid ${k} is not its points' mean (${result.iterations} iterations, off by ${Math.abs(means[k * 8 + d] / sizes[k] - result.centroids[k * 8 + d])})`);
    }
    assert.ok(result.iterations > 5, `${result.iterations} iterations: the bounds were not exercised`);
  });
});

describe('classCentroidDistances', () => {
  it('gives the distances between class means, pair by pair', () => {
    // Class 5 around (0, 0), class 1 around (3, 4), class 9 at (0, 1): means (3, 4), (0, 0), (0, 1).
    const points: Embedding = { z: Float32Array.from([-1, 0, 1, 0, 3, 3, 3, 5, 0, 1]), count: 5, latentDim: 2 };
    const { classes, distances } = classCentroidDistances(points, [5, 5, 1, 1, 9]);
    assert.deepEqual(classes, [1, 5, 9]);
    assert.deepEqual(Array.from(distances), [5, Math.sqrt(9 + 9), 1], 'pairs (1,5), (1,9), (5,9)');
    const means = classMeans(points, [5, 5, 1, 1, 9]);
    assert.deepEqual([means.classes, Array.from(means.means), Array.from(means.counts)], [[1, 5, 9], [3, 4, 0, 0, 0, 1], [2, 2, 1]]);
    assert.throws(() => classCentroidDistances(points, [1, 1, 1, 1, 1]), /at least 2 classes/);
    assert.throws(() => classCentroidDistances(points, [1, 2]), /2 labels for 5 points/);
  });
});

describe('sliceEmbedding', () => {
  it('takes rows without copying and rejects ranges outside the embedding', () => {
    const e: Embedding = { z: Float32Array.from([0, 1, 2, 3, 4, 5]), count: 3, latentDim: 2 };
    const part = sliceEmbedding(e, 1, 3);
    assert.deepEqual([Array.from(part.z), part.count, part.latentDim], [[2, 3, 4, 5], 2, 2]);
    assert.equal(part.z.buffer, e.z.buffer);
    assert.throws(() => sliceEmbedding(e, 2, 2), /rows 2 to 2 of 3/);
    assert.throws(() => sliceEmbedding(e, 0, 4), /rows 0 to 4 of 3/);
  });
});
