import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import { loadNativeAddon } from '../kernels/native/load';
import { nativeBackendName } from '../kernels/native/register';
import type { NativeAddon } from '../kernels/native/signatures';
import { checkEmbedding } from './embed';
import type { Embedding } from './embed';

/**
 * How `kMeans` finds distances. `bounds`: double precision in JavaScript, skipping with Hamerly's
 * bounds the distances that cannot change an assignment. `native`: every point against every
 * centroid (or k-means++ candidate) as one float32 product on OpenBLAS through the native addon,
 * with double-precision distances wherever float32 could order two centroids wrongly, so the
 * assignments and the inertia are the same as `bounds` gives (up to exact ties). `auto` (default):
 * `native` while the `native` backend is in use, else `bounds`.
 */
export type KMeansEngine = 'auto' | 'bounds' | 'native';

/** Options of `kMeans`. */
export interface KMeansOptions {
  /** Independent runs from different k-means++ starts; the one of least inertia is kept. Default 10 (scikit-learn's classic `n_init`). */
  restarts?: number;
  /** Lloyd iterations per run at most. Default 300. */
  maxIterations?: number;
  /** A run stops when no centroid moves more than this, relative to the data's mean variance per dimension (scikit-learn's `tol`). Default 1e-4. */
  tolerance?: number;
  /** Default `auto`. */
  engine?: KMeansEngine;
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

/**
 * Squared Euclidean distance between row `i` of `a` (dim values each) and row `j` of `b`. Four
 * running sums instead of one: each addition then waits on the one four steps back, not on the
 * last, which made the `bounds` engine about 1.5x faster here (measured).
 */
function squared(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  const ai = i * dim;
  const bj = j * dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    const t0 = a[ai + d] - b[bj + d];
    const t1 = a[ai + d + 1] - b[bj + d + 1];
    const t2 = a[ai + d + 2] - b[bj + d + 2];
    const t3 = a[ai + d + 3] - b[bj + d + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; d < dim; d++) {
    const t = a[ai + d] - b[bj + d];
    s0 += t * t;
  }
  return s0 + s1 + (s2 + s3);
}

/** Dot product of row `i` of `a` and row `j` of `b` (dim values each), four running sums. */
function dot(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  const ai = i * dim;
  const bj = j * dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += a[ai + d] * b[bj + d];
    s1 += a[ai + d + 1] * b[bj + d + 1];
    s2 += a[ai + d + 2] * b[bj + d + 2];
    s3 += a[ai + d + 3] * b[bj + d + 3];
  }
  for (; d < dim; d++) s0 += a[ai + d] * b[bj + d];
  return s0 + s1 + (s2 + s3);
}

/**
 * The `native` engine's products: every point with each of up to `maxRows` rows (centroids or
 * candidates) in float32, by the addon's sgemm on a buffer of its own, laid out `[rows, n]`: the
 * product of point i with row r at `r * n + i`. The points are kept transposed, `[dim, n]`, so the
 * product is (rows) x (points^T) with no transpose flag: 0.12 ms against 0.17 for points x rows^T
 * (10,000 x 32, 10 rows, measured). A product errs by at most `unit` x |x| |row| (the float32
 * rounding of the rows and the sums of `dim` terms), so a squared distance |x|^2 + |r|^2 - 2 x.r
 * from it errs by at most twice that.
 */
class PointProducts {
  /** |x|^2 of each point, in double. */
  readonly norms: Float64Array;
  /** |x| of each point. */
  readonly lengths: Float64Array;
  readonly unit: number;
  private readonly heap: Float32Array;
  private readonly bytes: Uint8Array;

  constructor(
    private readonly addon: NativeAddon,
    z: Float64Array,
    private readonly n: number,
    private readonly dim: number,
    private readonly maxRows: number,
  ) {
    this.heap = new Float32Array(dim * n + maxRows * dim + maxRows * n);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) this.heap[d * n + i] = z[i * dim + d];
    this.bytes = new Uint8Array(this.heap.buffer);
    this.norms = new Float64Array(n);
    for (let i = 0; i < n; i++) this.norms[i] = dot(z, i, z, i, dim);
    this.lengths = this.norms.map(Math.sqrt);
    this.unit = (dim + 2) * 2 ** -24;
  }

  /** Products with rows `indices` of `from` (`[*, dim]`): `[indices.length, n]`, a view reused by the next call. */
  products(from: Float64Array, indices: ArrayLike<number>): Float32Array {
    const { n, dim } = this;
    const count = indices.length;
    if (count > this.maxRows) throw new Error(`kMeans: ${count} rows exceed the ${this.maxRows} the product buffer holds`);
    const rows = dim * n;
    for (let r = 0; r < count; r++) for (let d = 0; d < dim; d++) this.heap[rows + r * dim + d] = from[indices[r] * dim + d];
    const out = rows + this.maxRows * dim;
    this.addon.gemm(this.bytes, {
      batch: 1,
      transposeA: false,
      transposeB: false,
      m: count,
      n,
      k: dim,
      aOffset: rows,
      aBatchStride: 0,
      bOffset: 0,
      bBatchStride: 0,
      outOffset: out,
      biasOffset: -1,
      biasLength: 0,
      activation: 'linear',
      leakyreluAlpha: 0,
    });
    return this.heap.subarray(out, out + count * n);
  }
}

/** The products for `engine`, or undefined for the `bounds` engine. */
function pointProducts(engine: KMeansEngine, z: Float64Array, n: number, dim: number, maxRows: number): PointProducts | undefined {
  if (engine === 'bounds' || (engine === 'auto' && tf.getBackend() !== nativeBackendName)) return undefined;
  let addon: NativeAddon;
  try {
    addon = loadNativeAddon();
  } catch (error) {
    throw new Error(`kMeans: engine '${engine}' needs the native addon: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new PointProducts(addon, z, n, dim, maxRows);
}

/**
 * Greedy k-means++ seeding (Arthur and Vassilvitskii 2007, as scikit-learn does it): each next
 * centre is the best of 2 + floor(ln k) candidates, each drawn with probability proportional to its
 * squared distance to the nearest centre so far; best = least total squared distance after adding it.
 * Without `products`, a point whose nearest centre is at least twice as far from the candidate as
 * from the point cannot be nearer the candidate (triangle inequality) and is skipped. With them,
 * all candidates' products come in one call, and a distance is computed in double only where the
 * float32 one could be below the point's nearest. Either way the numbers are those of computing
 * every distance in double.
 */
function seedCentroids(z: Float64Array, n: number, dim: number, k: number, random: Random, products: PointProducts | undefined): Float64Array {
  const centroids = new Float64Array(k * dim);
  const trials = 2 + Math.floor(Math.log(k));
  const first = random.int(n);
  for (let d = 0; d < dim; d++) centroids[d] = z[first * dim + d];
  let nearest = new Float64Array(n);
  let owner = new Int32Array(n);
  for (let i = 0; i < n; i++) nearest[i] = squared(z, i, centroids, 0, dim);
  let candidate = new Float64Array(n);
  let candidateOwner = new Int32Array(n);
  let bestNearest = new Float64Array(n);
  let bestOwner = new Int32Array(n);
  // A quarter of the squared distance from each centre so far to the candidate (the skip test's bound).
  const quarter = new Float64Array(k);
  const picks = new Int32Array(trials);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i];
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
      picks[t] = pick;
    }
    const product = products?.products(z, picks);
    let chosen = -1;
    let chosenCost = Infinity;
    for (let t = 0; t < trials; t++) {
      const pick = picks[t];
      let cost = 0;
      // Whether point i could be nearer the candidate than its nearest centre: by the triangle
      // inequality without products, by the float32 distance and its error bound with them.
      const bounds = product === undefined || products === undefined;
      if (bounds) for (let o = 0; o < c; o++) quarter[o] = 0.25 * squared(centroids, o, z, pick, dim);
      const pickNorm = bounds ? 0 : products.norms[pick];
      const pickError = bounds ? 0 : 2 * products.unit * products.lengths[pick];
      for (let i = 0; i < n; i++) {
        let d = nearest[i];
        let o = owner[i];
        const couldBeNearer = bounds ? quarter[o] < d : products.norms[i] + pickNorm - 2 * product[t * n + i] - pickError * products.lengths[i] < d;
        if (couldBeNearer) {
          const e = squared(z, i, z, pick, dim);
          if (e < d) {
            d = e;
            o = c;
          }
        }
        candidate[i] = d;
        candidateOwner[i] = o;
        cost += d;
      }
      if (cost < chosenCost) {
        chosenCost = cost;
        chosen = pick;
        [bestNearest, candidate] = [candidate, bestNearest];
        [bestOwner, candidateOwner] = [candidateOwner, bestOwner];
      }
    }
    for (let d = 0; d < dim; d++) centroids[c * dim + d] = z[chosen * dim + d];
    [nearest, bestNearest] = [bestNearest, nearest];
    [owner, bestOwner] = [bestOwner, owner];
  }
  return centroids;
}

/**
 * Lloyd iterations from `centroids` (updated in place) until the centroids' total squared shift is at
 * most `threshold` or `maxIterations` have run, then each point to its nearest final centroid;
 * returns the iterations run and the inertia. Hamerly's bounds (2010) skip the points whose
 * assignment cannot change: an upper bound on a point's distance to its own centroid and one lower
 * bound on its distance to every other, both moved by how far the centroids move, against half the
 * distance from its centroid to the nearest other. The centroid sums are updated only for the
 * points that change cluster. A point the bounds do not settle is scanned: without `products`, in
 * double (its own centroid first; a centroid at least twice its distance from the own one is
 * skipped, Elkan's test); with them, from the row of float32 products that one matrix product
 * gives for all points, settling in double any two centroids closer than the product's error.
 * Both give the assignments of plain Lloyd in exact arithmetic (up to exact ties).
 */
function lloyd(
  z: Float64Array,
  n: number,
  dim: number,
  k: number,
  centroids: Float64Array,
  assignments: Int32Array,
  maxIterations: number,
  threshold: number,
  products: PointProducts | undefined,
): { iterations: number; inertia: number } {
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const half = new Float64Array(k);
  const between = new Float64Array(k * k);
  const moved = new Float64Array(k);
  const sums = new Float64Array(k * dim);
  const sizes = new Float64Array(k);
  const centroidNorms = new Float64Array(k);
  const all = Int32Array.from({ length: k }, (_, c) => c);
  let product = new Float32Array(0);
  let longest = 0;
  // How far the centroids moved in the last step: each own (`moved`), the largest and the next.
  let largest = 0;
  let runnerUp = 0;
  let largestAt = -1;
  const move = (i: number, from: number, to: number): void => {
    assignments[i] = to;
    sizes[from]--;
    sizes[to]++;
    for (let d = 0; d < dim; d++) {
      const v = z[i * dim + d];
      sums[from * dim + d] -= v;
      sums[to * dim + d] += v;
    }
  };
  // The centroids' products with every point, their norms and the longest, for `scanProducts`.
  const multiply = (p: PointProducts): void => {
    product = p.products(centroids, all);
    longest = 0;
    for (let c = 0; c < k; c++) {
      centroidNorms[c] = dot(centroids, c, centroids, c, dim);
      longest = Math.max(longest, Math.sqrt(centroidNorms[c]));
    }
  };
  // Point i's nearest centroid from its products (`own` wins exact ties); sets its bounds.
  const scanProducts = (p: PointProducts, i: number, own: number): number => {
    // Starting from the own centroid, usually still the nearest, makes "d < first" rarely true: a
    // branch the processor predicts (measured faster than starting from centroid 0).
    const start = own < 0 ? 0 : own;
    let best = start;
    let first = centroidNorms[start] - 2 * product[start * n + i];
    let second = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === start) continue;
      const d = centroidNorms[c] - 2 * product[c * n + i];
      if (d < first) {
        second = first;
        first = d;
        best = c;
      } else if (d < second) {
        second = d;
      }
    }
    // |x - c|^2 = |x|^2 + d, each d off by at most `error`.
    const norm = p.norms[i];
    const error = 2 * p.unit * p.lengths[i] * longest;
    if (second - first > 2 * error) {
      upper[i] = Math.sqrt(Math.max(0, norm + first + error));
      lower[i] = Math.sqrt(Math.max(0, norm + second - error));
      return best;
    }
    let closest = Infinity;
    for (let c = 0; c < k; c++) {
      if (centroidNorms[c] - 2 * product[c * n + i] > first + 2 * error) continue;
      const d = squared(z, i, centroids, c, dim);
      if (d < closest || (d === closest && c === own)) {
        closest = d;
        best = c;
      }
    }
    upper[i] = Math.sqrt(closest);
    lower[i] = Math.sqrt(Math.max(0, norm + first - error));
    return best;
  };
  // Point i's nearest centroid in double, given the distance `u` to its own; sets its bounds.
  const scanBounds = (i: number, own: number, u: number): number => {
    let best = own;
    let first = u * u;
    let second = Infinity;
    // A lower bound on the distances not computed: d(x, c) >= d(own, c) - u.
    let skipped = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === own) continue;
      const apart = between[own * k + c];
      if (apart >= 2 * u) {
        if (apart - u < skipped) skipped = apart - u;
        continue;
      }
      const d = squared(z, i, centroids, c, dim);
      if (d < first) {
        second = first;
        first = d;
        best = c;
      } else if (d < second) {
        second = d;
      }
    }
    upper[i] = Math.sqrt(first);
    lower[i] = Math.min(Math.sqrt(second), skipped);
    return best;
  };
  // Every point to its nearest centroid, with no bound to go by; the sums from scratch.
  const exact = (): void => {
    moved.fill(0);
    largest = 0;
    runnerUp = 0;
    largestAt = -1;
    if (products !== undefined) multiply(products);
    else between.fill(0);
    for (let i = 0; i < n; i++) {
      if (products !== undefined) assignments[i] = scanProducts(products, i, -1);
      else assignments[i] = scanBounds(i, 0, Math.sqrt(squared(z, i, centroids, 0, dim)));
    }
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i];
      sizes[c]++;
      for (let d = 0; d < dim; d++) sums[c * dim + d] += z[i * dim + d];
    }
  };
  const assign = (): void => {
    half.fill(Infinity);
    for (let c = 0; c < k; c++) {
      for (let o = c + 1; o < k; o++) {
        const d = Math.sqrt(squared(centroids, c, centroids, o, dim));
        between[c * k + o] = d;
        between[o * k + c] = d;
        if (0.5 * d < half[c]) half[c] = 0.5 * d;
        if (0.5 * d < half[o]) half[o] = 0.5 * d;
      }
    }
    if (products !== undefined) multiply(products);
    for (let i = 0; i < n; i++) {
      const own = assignments[i];
      // The bounds moved by the centroids' last step (done here rather than in a pass of its own).
      upper[i] += moved[own];
      lower[i] -= own === largestAt ? runnerUp : largest;
      const bound = Math.max(half[own], lower[i]);
      if (upper[i] <= bound) continue;
      let best: number;
      if (products !== undefined) {
        // The own centroid's distance from the products (an upper bound through the error) first,
        // as Hamerly's second test; the whole row only where that does not settle it.
        const ownUpper = Math.sqrt(Math.max(0, products.norms[i] + centroidNorms[own] - 2 * product[own * n + i] + 2 * products.unit * products.lengths[i] * longest));
        if (ownUpper <= bound) {
          upper[i] = ownUpper;
          continue;
        }
        best = scanProducts(products, i, own);
      } else {
        const u = Math.sqrt(squared(z, i, centroids, own, dim));
        upper[i] = u;
        if (u <= bound) continue;
        best = scanBounds(i, own, u);
      }
      if (best !== own) move(i, own, best);
    }
  };
  exact();
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (iterations > 0) assign();
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
      for (let d = 0; d < dim; d++) centroids[c * dim + d] = z[far * dim + d];
      reseeded = true;
    }
    if (reseeded) {
      // The bounds no longer hold: every distance again, to the centroids with the empty ones moved.
      exact();
      continue;
    }
    let shift = 0;
    largest = 0;
    runnerUp = 0;
    largestAt = -1;
    for (let c = 0; c < k; c++) {
      let m = 0;
      for (let d = 0; d < dim; d++) {
        const next = sums[c * dim + d] / sizes[c];
        m += (next - centroids[c * dim + d]) ** 2;
        centroids[c * dim + d] = next;
      }
      shift += m;
      moved[c] = Math.sqrt(m);
      if (moved[c] > largest) {
        runnerUp = largest;
        largest = moved[c];
        largestAt = c;
      } else if (moved[c] > runnerUp) {
        runnerUp = moved[c];
      }
    }
    if (shift <= threshold) {
      iterations++;
      break;
    }
  }
  // Each point to its nearest final centroid (the bounds still hold), and the inertia.
  assign();
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squared(z, i, centroids, assignments[i], dim);
  return { iterations, inertia };
}

/**
 * k-means by Lloyd's algorithm from k-means++ starts, restarted `restarts` times, keeping the run
 * of least inertia. A cluster that loses all its points is re-seeded at the point farthest from
 * its centroid. Deterministic for a seed; both engines give the same result (up to exact ties).
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
  const engine = options.engine ?? 'auto';
  if (!['auto', 'bounds', 'native'].includes(engine)) throw new Error(`engine must be auto|bounds|native, got "${engine}"`);
  // scikit-learn scales tol by the mean variance of the dimensions.
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += z[i * dim + d] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) variance += (z[i * dim + d] - mean[d]) ** 2;
  const threshold = tolerance * (variance / (n * dim));
  const products = pointProducts(engine, z, n, dim, Math.max(k, 2 + Math.floor(Math.log(k))));
  let best: KMeansResult | undefined;
  for (let run = 0; run < restarts; run++) {
    const random = new Random(mixSeed(options.seed, run));
    const centroids = seedCentroids(z, n, dim, k, random, products);
    const assignments = new Int32Array(n);
    const { iterations, inertia } = lloyd(z, n, dim, k, centroids, assignments, maxIterations, threshold, products);
    if (best === undefined || inertia < best.inertia) best = { centroids, assignments, inertia, iterations, k };
  }
  return best!;
}
