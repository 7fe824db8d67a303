import { checkPositiveInt } from '../core/assert';
import { checkEmbedding } from '../latent/embed';
import type { Embedding } from '../latent/embed';
import { forEachDistanceBlock, nearestNeighbours, neighbourVote } from '../latent/knn';

function checkLabels(labels: ArrayLike<number>, count: number, what: string): void {
  if (labels.length !== count) throw new Error(`${what}: ${labels.length} labels for ${count} points`);
  for (let i = 0; i < labels.length; i++) if (!Number.isInteger(labels[i])) throw new Error(`${what}: label ${i} is ${labels[i]}, expected an integer`);
}

/**
 * Rows of squared Euclidean distances of `points` to each other (float32, by matrix products in
 * bounded blocks, clamped at 0; the diagonal set to exactly 0): calls `each(row, distances)` for
 * every point in turn.
 */
async function forEachDistanceRow(points: Embedding, each: (row: number, distances: Float32Array) => void): Promise<void> {
  const n = points.count;
  await forEachDistanceBlock(points, points, async (squared, start, size) => {
    const values = (await squared.data()) as Float32Array;
    for (let r = 0; r < size; r++) {
      const row = values.subarray(r * n, (r + 1) * n);
      row[start + r] = 0;
      each(start + r, row);
    }
  });
}

/**
 * Trustworthiness of an embedding (Venna and Kaski 2001), as scikit-learn's
 * `sklearn.manifold.trustworthiness` computes it: 1 - 2 / (n k (2n - 3k - 1)) times the sum, over
 * each point's k nearest neighbours in the embedding, of how far beyond k each lies in the original
 * space's neighbour ranking (rank 1 the nearest other point). 1 when no point gains neighbours it
 * did not have; it penalises false neighbours. Needs k < n / 2.
 */
export async function trustworthiness(original: Embedding, embedded: Embedding, k = 5): Promise<number> {
  return rankPenalty(original, embedded, k, 'trustworthiness');
}

/**
 * Continuity (Venna and Kaski 2006): trustworthiness with the two spaces swapped, so it
 * penalises neighbours the embedding lost (original neighbours pushed beyond rank k).
 */
export async function continuity(original: Embedding, embedded: Embedding, k = 5): Promise<number> {
  return rankPenalty(embedded, original, k, 'continuity');
}

/** Sum over points of the ranks in `rankSpace` of their k nearest neighbours in `neighbourSpace` beyond k, scaled as trustworthiness. */
async function rankPenalty(rankSpace: Embedding, neighbourSpace: Embedding, k: number, what: string): Promise<number> {
  checkEmbedding(rankSpace, `${what}: original`);
  checkEmbedding(neighbourSpace, `${what}: embedded`);
  checkPositiveInt(k, 'k');
  const n = rankSpace.count;
  if (neighbourSpace.count !== n) throw new Error(`${what}: ${n} original points against ${neighbourSpace.count} embedded ones`);
  if (k >= n / 2) throw new Error(`${what}: k = ${k} must be less than n / 2 = ${n / 2}`);
  const neighbours = await nearestNeighbours(neighbourSpace, neighbourSpace, k, { excludeSelf: true });
  let penalty = 0;
  await forEachDistanceRow(rankSpace, (i, distances) => {
    for (let m = 0; m < k; m++) {
      const j = neighbours.indices[i * k + m];
      const dj = distances[j];
      // The rank of j among i's other points: those strictly nearer, or as near with a lower index, plus one.
      let rank = 1;
      for (let o = 0; o < n; o++) {
        if (o === i || o === j) continue;
        const d = distances[o];
        if (d < dj || (d === dj && o < j)) rank++;
      }
      if (rank > k) penalty += rank - k;
    }
  });
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/**
 * Accuracy of k-nearest-neighbour classification in an embedding: each test point gets the vote of
 * its k nearest training points, a tie going to the smallest label as in scikit-learn's
 * `KNeighborsClassifier` (so the numbers compare with it and with published tables).
 */
export async function knnAccuracy(train: Embedding, trainLabels: ArrayLike<number>, test: Embedding, testLabels: ArrayLike<number>, k = 5): Promise<number> {
  checkLabels(trainLabels, train.count, 'knnAccuracy: train');
  checkLabels(testLabels, test.count, 'knnAccuracy: test');
  const predicted = neighbourVote(await nearestNeighbours(test, train, k), trainLabels, { ties: 'smallest' });
  let right = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === testLabels[i]) right++;
  return right / predicted.length;
}

/**
 * The mean silhouette coefficient (Rousseeuw 1987) over all points, Euclidean, as scikit-learn's
 * `silhouette_score`: for each point, a = its mean distance to the other members of its cluster, b =
 * the smallest mean distance to the members of another cluster, s = (b - a) / max(a, b), and s = 0
 * for a point alone in its cluster. Needs 2 to n - 1 clusters.
 */
export async function silhouetteScore(points: Embedding, labels: ArrayLike<number>): Promise<number> {
  checkEmbedding(points, 'silhouetteScore');
  checkLabels(labels, points.count, 'silhouetteScore');
  const ids = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const n = points.count;
  if (ids.length < 2 || ids.length > n - 1) throw new Error(`silhouetteScore: needs 2 to ${n - 1} clusters, got ${ids.length}`);
  const slot = new Map(ids.map((id, s) => [id, s]));
  const sizes = new Float64Array(ids.length);
  for (let i = 0; i < n; i++) sizes[slot.get(labels[i])!]++;
  const sums = new Float64Array(ids.length);
  let total = 0;
  await forEachDistanceRow(points, (i, distances) => {
    sums.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[slot.get(labels[j])!] += Math.sqrt(distances[j]);
    const own = slot.get(labels[i])!;
    if (sizes[own] === 1) return;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < ids.length; c++) if (c !== own) b = Math.min(b, sums[c] / sizes[c]);
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  });
  return total / n;
}

/** The contingency table of two labellings of the same points, with the row and column sums. */
function contingency(a: ArrayLike<number>, b: ArrayLike<number>, what: string): { table: number[][]; rows: number[]; cols: number[]; n: number } {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} labels against ${b.length}`);
  if (a.length === 0) throw new Error(`${what}: no labels`);
  checkLabels(a, a.length, what);
  checkLabels(b, b.length, what);
  const aIds = new Map([...new Set(Array.from(a))].map((id, i) => [id, i]));
  const bIds = new Map([...new Set(Array.from(b))].map((id, i) => [id, i]));
  const table = Array.from({ length: aIds.size }, () => new Array<number>(bIds.size).fill(0));
  for (let i = 0; i < a.length; i++) table[aIds.get(a[i])!][bIds.get(b[i])!]++;
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = table[0].map((_, c) => table.reduce((s, r) => s + r[c], 0));
  return { table, rows, cols, n: a.length };
}

const pairs = (x: number) => (x * (x - 1)) / 2;

/**
 * The adjusted Rand index (Hubert and Arabie 1985) of two labellings, as scikit-learn's
 * `adjusted_rand_score`: the share of point pairs on which they agree, corrected for chance; 1 for
 * the same partition (whatever the label names), about 0 for independent ones.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { table, rows, cols, n } = contingency(a, b, 'adjustedRandIndex');
  const index = table.flat().reduce((s, v) => s + pairs(v), 0);
  const rowPairs = rows.reduce((s, v) => s + pairs(v), 0);
  const colPairs = cols.reduce((s, v) => s + pairs(v), 0);
  const expected = (rowPairs * colPairs) / pairs(n);
  const max = (rowPairs + colPairs) / 2;
  // One cluster each, or every point its own cluster in both: the same partition.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

function entropy(counts: number[], n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/**
 * Homogeneity, completeness and their harmonic mean, the v-measure (Rosenberg and Hirschberg 2007),
 * of a clustering against the true labels, as scikit-learn's `homogeneity_completeness_v_measure`.
 * The v-measure equals the normalised mutual information with the arithmetic mean of the two
 * entropies (scikit-learn's `normalized_mutual_info_score` default).
 */
export function vMeasure(labels: ArrayLike<number>, clusters: ArrayLike<number>): { homogeneity: number; completeness: number; vMeasure: number } {
  const { table, rows, cols, n } = contingency(labels, clusters, 'vMeasure');
  const hLabels = entropy(rows, n);
  const hClusters = entropy(cols, n);
  let mutual = 0;
  for (let r = 0; r < table.length; r++) {
    for (let c = 0; c < cols.length; c++) {
      const v = table[r][c];
      if (v > 0) mutual += (v / n) * Math.log((v * n) / (rows[r] * cols[c]));
    }
  }
  const homogeneity = hLabels === 0 ? 1 : mutual / hLabels;
  const completeness = hClusters === 0 ? 1 : mutual / hClusters;
  const v = homogeneity + completeness === 0 ? 0 : (2 * homogeneity * completeness) / (homogeneity + completeness);
  return { homogeneity, completeness, vMeasure: v };
}

/** Normalised mutual information with the arithmetic mean of the entropies (scikit-learn's default); equal to the v-measure. */
export function normalizedMutualInfo(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return vMeasure(a, b).vMeasure;
}

/**
 * The mean point of each class: `classes` (the distinct labels) in increasing order, `means`
 * `[classes, dim]` row-major in that order, and `counts`, the points of each class. Codes are
 * row-major `[count, dim]`.
 */
export function classMeans(points: { z: ArrayLike<number>; count: number; latentDim: number }, labels: ArrayLike<number>): { classes: number[]; means: Float64Array; counts: Float64Array } {
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const slot = new Map(classes.map((c, s) => [c, s]));
  const d = points.latentDim;
  const means = new Float64Array(classes.length * d);
  const counts = new Float64Array(classes.length);
  for (let i = 0; i < points.count; i++) {
    const s = slot.get(labels[i])!;
    counts[s]++;
    for (let j = 0; j < d; j++) means[s * d + j] += points.z[i * d + j];
  }
  for (let s = 0; s < classes.length; s++) for (let j = 0; j < d; j++) means[s * d + j] /= counts[s];
  return { classes, means, counts };
}

/**
 * The Euclidean distances between the class means of an embedding: `classes` in increasing order
 * and `distances` for each pair (classes[i], classes[j]), i < j, in the order (0,1), (0,2), ...,
 * (1,2), ... . How far apart whole classes lie, to compare embeddings.
 */
export function classCentroidDistances(points: Embedding, labels: ArrayLike<number>): { classes: number[]; distances: Float64Array } {
  checkEmbedding(points, 'classCentroidDistances');
  checkLabels(labels, points.count, 'classCentroidDistances');
  const { classes, means } = classMeans(points, labels);
  if (classes.length < 2) throw new Error(`classCentroidDistances: needs at least 2 classes, got ${classes.length}`);
  const d = points.latentDim;
  const distances = new Float64Array(pairs(classes.length));
  let at = 0;
  for (let a = 0; a < classes.length; a++) {
    for (let b = a + 1; b < classes.length; b++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += (means[a * d + j] - means[b * d + j]) ** 2;
      distances[at++] = Math.sqrt(sum);
    }
  }
  return { classes, distances };
}
