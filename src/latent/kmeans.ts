import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import { checkEmbedding } from './embed';
import type { Embedding } from './embed';

/** Options of `kMeans`. */
export interface KMeansOptions {
  /** Independent runs from different k-means++ starts; the one of least inertia is kept. Default 10 (scikit-learn's classic `n_init`). */
  restarts?: number;
  /** Lloyd iterations per run at most. Default 300. */
  maxIterations?: number;
  /** A run stops when no centroid moves more than this, relative to the data's mean variance per dimension (scikit-learn's `tol`). Default 1e-4. */
  tolerance?: number;
  seed: number;
}

/** The result of `kMeans`. */
export interface KMeansResult {
  /** `[k, dim]` row-major. */
  centroids: Float64Array;
  /** The cluster of each point, 0..k-1. */
  assignments: Int32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Lloyd iterations of the kept run. */
  iterations: number;
  k: number;
}

/** Squared Euclidean distance between row `i` of `a` (dim values each) and row `j` of `b`. */
function squared(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const t = a[i * dim + d] - b[j * dim + d];
    s += t * t;
  }
  return s;
}

/** k-means++ seeding (Arthur and Vassilvitskii 2007): each next centre drawn with probability proportional to its squared distance to the nearest centre so far. */
function seedCentroids(points: Embedding, k: number, random: Random): Float64Array {
  const { z, count: n, latentDim: dim } = points;
  const centroids = new Float64Array(k * dim);
  const first = random.int(n);
  for (let d = 0; d < dim; d++) centroids[d] = z[first * dim + d];
  const nearest = new Float64Array(n);
  for (let i = 0; i < n; i++) nearest[i] = squared(z, i, centroids, 0, dim);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i];
    let chosen = n - 1;
    if (total > 0) {
      let u = random.next() * total;
      for (let i = 0; i < n; i++) {
        u -= nearest[i];
        if (u < 0) {
          chosen = i;
          break;
        }
      }
    } else {
      chosen = random.int(n);
    }
    for (let d = 0; d < dim; d++) centroids[c * dim + d] = z[chosen * dim + d];
    for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i], squared(z, i, centroids, c, dim));
  }
  return centroids;
}

/**
 * k-means by Lloyd's algorithm from k-means++ starts, restarted `restarts` times, keeping the run
 * of least inertia. A cluster that loses all its points is re-seeded at the point farthest from
 * its centroid. Deterministic for a seed.
 */
export function kMeans(points: Embedding, k: number, options: KMeansOptions): KMeansResult {
  const { z, count: n, latentDim: dim } = points;
  checkEmbedding(points, 'kMeans');
  checkPositiveInt(k, 'k');
  if (k > n) throw new Error(`kMeans: k = ${k} is more than the ${n} points`);
  const restarts = checkPositiveInt(options.restarts ?? 10, 'restarts');
  const maxIterations = checkPositiveInt(options.maxIterations ?? 300, 'maxIterations');
  const tolerance = options.tolerance ?? 1e-4;
  if (!(tolerance >= 0)) throw new Error(`tolerance must be >= 0, got ${tolerance}`);
  // scikit-learn scales tol by the mean variance of the dimensions.
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += z[i * dim + d] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) variance += (z[i * dim + d] - mean[d]) ** 2;
  const threshold = tolerance * (variance / (n * dim));
  let best: KMeansResult | undefined;
  for (let run = 0; run < restarts; run++) {
    const random = new Random(mixSeed(options.seed, run));
    const centroids = seedCentroids(points, k, random);
    const assignments = new Int32Array(n);
    const distance = new Float64Array(n);
    let iterations = 0;
    for (; iterations < maxIterations; iterations++) {
      for (let i = 0; i < n; i++) {
        let bestC = 0;
        let bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const d = squared(z, i, centroids, c, dim);
          if (d < bestD) {
            bestD = d;
            bestC = c;
          }
        }
        assignments[i] = bestC;
        distance[i] = bestD;
      }
      const sums = new Float64Array(k * dim);
      const sizes = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        const c = assignments[i];
        sizes[c]++;
        for (let d = 0; d < dim; d++) sums[c * dim + d] += z[i * dim + d];
      }
      let shift = 0;
      for (let c = 0; c < k; c++) {
        if (sizes[c] === 0) {
          // An empty cluster restarts at the point worst served by its centroid.
          let far = 0;
          for (let i = 1; i < n; i++) if (distance[i] > distance[far]) far = i;
          distance[far] = 0;
          for (let d = 0; d < dim; d++) sums[c * dim + d] = z[far * dim + d];
          sizes[c] = 1;
        }
        let moved = 0;
        for (let d = 0; d < dim; d++) {
          const next = sums[c * dim + d] / sizes[c];
          moved += (next - centroids[c * dim + d]) ** 2;
          centroids[c * dim + d] = next;
        }
        shift += moved;
      }
      if (shift <= threshold) {
        iterations++;
        break;
      }
    }
    // Final assignment to the final centroids, and its inertia.
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      let bestC = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = squared(z, i, centroids, c, dim);
        if (d < bestD) {
          bestD = d;
          bestC = c;
        }
      }
      assignments[i] = bestC;
      inertia += bestD;
    }
    if (best === undefined || inertia < best.inertia) best = { centroids, assignments, inertia, iterations, k };
  }
  return best!;
}
