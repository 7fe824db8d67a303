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
function squared(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let s = 0;
  const ai = i * dim;
  const bj = j * dim;
  for (let d = 0; d < dim; d++) {
    const t = a[ai + d] - b[bj + d];
    s += t * t;
  }
  return s;
}

/**
 * Greedy k-means++ seeding (Arthur and Vassilvitskii 2007, as scikit-learn does it): each next
 * centre is the best of 2 + floor(ln k) candidates, each drawn with probability proportional to its
 * squared distance to the nearest centre so far; best = least total squared distance after adding it.
 */
function seedCentroids(z: Float64Array, n: number, dim: number, k: number, random: Random): Float64Array {
  const centroids = new Float64Array(k * dim);
  const trials = 2 + Math.floor(Math.log(k));
  const first = random.int(n);
  for (let d = 0; d < dim; d++) centroids[d] = z[first * dim + d];
  let nearest = new Float64Array(n);
  for (let i = 0; i < n; i++) nearest[i] = squared(z, i, centroids, 0, dim);
  let candidate = new Float64Array(n);
  let bestNearest = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i];
    let chosen = -1;
    let chosenCost = Infinity;
    for (let t = 0; t < trials; t++) {
      let pick = n - 1;
      if (total > 0) {
        let u = random.next() * total;
        for (let i = 0; i < n; i++) {
          u -= nearest[i];
          if (u < 0) {
            pick = i;
            break;
          }
        }
      } else {
        pick = random.int(n);
      }
      let cost = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.min(nearest[i], squared(z, i, z, pick, dim));
        candidate[i] = d;
        cost += d;
      }
      if (cost < chosenCost) {
        chosenCost = cost;
        chosen = pick;
        [bestNearest, candidate] = [candidate, bestNearest];
      }
    }
    for (let d = 0; d < dim; d++) centroids[c * dim + d] = z[chosen * dim + d];
    [nearest, bestNearest] = [bestNearest, nearest];
  }
  return centroids;
}

/**
 * Lloyd iterations from `centroids` (updated in place) until the centroids' total squared shift is at
 * most `threshold` or `maxIterations` have run; returns the iterations run. Elkan's bounds (2003)
 * skip the distance computations that cannot change a point's assignment: an upper bound on its
 * distance to its own centroid and a lower bound on its distance to each other one, moved by how
 * far the centroids move, and half the distance between two centroids. Same assignments as plain
 * Lloyd (up to exact ties), with a small share of the distances.
 */
function lloyd(z: Float64Array, n: number, dim: number, k: number, centroids: Float64Array, assignments: Int32Array, maxIterations: number, threshold: number): number {
  const upper = new Float64Array(n);
  const lower = new Float64Array(n * k);
  const between = new Float64Array(k * k);
  const half = new Float64Array(k);
  const moved = new Float64Array(k);
  const sums = new Float64Array(k * dim);
  const sizes = new Float64Array(k);
  const exact = (): void => {
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = Math.sqrt(squared(z, i, centroids, c, dim));
        lower[i * k + c] = d;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      assignments[i] = best;
      upper[i] = bestD;
    }
  };
  exact();
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (iterations > 0) {
      // Half the distances between centroids, and half the distance of each to its nearest other.
      half.fill(Infinity);
      for (let c = 0; c < k; c++) {
        for (let o = c + 1; o < k; o++) {
          const d = 0.5 * Math.sqrt(squared(centroids, c, centroids, o, dim));
          between[c * k + o] = d;
          between[o * k + c] = d;
          if (d < half[c]) half[c] = d;
          if (d < half[o]) half[o] = d;
        }
      }
      for (let i = 0; i < n; i++) {
        let own = assignments[i];
        if (upper[i] <= half[own]) continue;
        let stale = true;
        for (let c = 0; c < k; c++) {
          if (c === own || upper[i] <= lower[i * k + c] || upper[i] <= between[own * k + c]) continue;
          if (stale) {
            const d = Math.sqrt(squared(z, i, centroids, own, dim));
            lower[i * k + own] = d;
            upper[i] = d;
            stale = false;
            if (d <= lower[i * k + c] || d <= between[own * k + c]) continue;
          }
          const d = Math.sqrt(squared(z, i, centroids, c, dim));
          lower[i * k + c] = d;
          if (d < upper[i]) {
            own = c;
            upper[i] = d;
          }
        }
        assignments[i] = own;
      }
    }
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i];
      sizes[c]++;
      for (let d = 0; d < dim; d++) sums[c * dim + d] += z[i * dim + d];
    }
    let reseeded = false;
    for (let c = 0; c < k; c++) {
      if (sizes[c] > 0) continue;
      // An empty cluster restarts at the point worst served by its centroid.
      let far = 0;
      let farD = -1;
      for (let i = 0; i < n; i++) {
        const d = squared(z, i, centroids, assignments[i], dim);
        if (d > farD) {
          farD = d;
          far = i;
        }
      }
      for (let d = 0; d < dim; d++) sums[c * dim + d] = z[far * dim + d];
      sizes[c] = 1;
      reseeded = true;
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      let m = 0;
      for (let d = 0; d < dim; d++) {
        const next = sums[c * dim + d] / sizes[c];
        m += (next - centroids[c * dim + d]) ** 2;
        centroids[c * dim + d] = next;
      }
      shift += m;
      moved[c] = Math.sqrt(m);
    }
    if (shift <= threshold) return iterations + 1;
    if (reseeded) exact(); // the bounds no longer hold: every distance again
    else {
      for (let i = 0; i < n; i++) {
        upper[i] += moved[assignments[i]];
        for (let c = 0; c < k; c++) lower[i * k + c] = Math.max(0, lower[i * k + c] - moved[c]);
      }
    }
  }
  return iterations;
}

/**
 * k-means by Lloyd's algorithm from k-means++ starts, restarted `restarts` times, keeping the run
 * of least inertia. A cluster that loses all its points is re-seeded at the point farthest from
 * its centroid. Deterministic for a seed.
 */
export function kMeans(points: Embedding, k: number, options: KMeansOptions): KMeansResult {
  checkEmbedding(points, 'kMeans');
  const { count: n, latentDim: dim } = points;
  const z = Float64Array.from(points.z);
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
    const centroids = seedCentroids(z, n, dim, k, random);
    const assignments = new Int32Array(n);
    const iterations = lloyd(z, n, dim, k, centroids, assignments, maxIterations, threshold);
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
