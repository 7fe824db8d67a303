import * as tf from '@tensorflow/tfjs';
import { checkFinite, checkPositiveInt } from '../core/assert';
import { EventLoopYielder } from '../core/event-loop';
import { ProgressLine } from '../core/output';
import { Random } from '../core/random';
import { checkEmbedding } from './embed';
import type { Embedding } from './embed';
import { nearestNeighbours } from './knn';
import type { Neighbours } from './knn';
import { Pca } from './pca';

// t-SNE (van der Maaten and Hinton 2008) with the Barnes-Hut gradient (van der Maaten 2014), following
// scikit-learn's `sklearn/manifold/_t_sne.py` where the papers leave a choice open: the perplexity
// search, the learning schedule, the gains and the PCA initialisation are theirs. The Student-t kernel
// has one degree of freedom in every output dimension (the paper's; scikit-learn uses
// max(dimensions - 1, 1) degrees).

/**
 * A sparse square matrix in compressed rows (CSR): row `i` holds `columns`/`values` from
 * `rowStart[i]` to `rowStart[i + 1]`. t-SNE's P is symmetric and sums to 1.
 */
export interface SparseAffinities {
  /** Number of rows (and columns): the number of points. */
  readonly count: number;
  /** `[count + 1]`: where each row starts in `columns` and `values`. */
  readonly rowStart: Int32Array;
  /** Column of each stored entry, ascending within a row. */
  readonly columns: Int32Array;
  /** Value of each stored entry. */
  readonly values: Float64Array;
}

/** Conditional probabilities p(j|i) over each point's neighbours, from `perplexityAffinities`. */
export interface ConditionalAffinities {
  /** `[count, k]` row-major: p(j|i) for the k neighbours j of point i, each row summing to 1. */
  readonly values: Float64Array;
  /** `[count]`: the precision beta_i = 1 / (2 sigma_i^2) found for each point. */
  readonly betas: Float64Array;
  /** `[count]`: the entropy (natural log) of each row; log(perplexity) where the search converged. */
  readonly entropies: Float64Array;
}

/** A gradient of the KL divergence with respect to the embedding, and the divergence itself. */
export interface TsneGradient {
  /** `[count, dimensions]` row-major. */
  readonly gradient: Float64Array;
  /** KL(P || Q) of the given P (not exaggerated); Barnes-Hut's uses its approximate normalisation Z. */
  readonly klDivergence: number;
  /** Z = sum over pairs i != j of 1 / (1 + |y_i - y_j|^2) (approximate for Barnes-Hut). */
  readonly normalisation: number;
}

/** Options of the two gradients. */
export interface GradientOptions {
  /** P is multiplied by this in the attractive forces (early exaggeration); the KL is of P itself. Default 1. */
  exaggeration?: number;
}

/** Options of `tsne`. */
export interface TsneOptions {
  /** Output dimensions: 1, 2 (default) or 3. */
  dimensions?: number;
  /** Effective number of neighbours of each point, at least 1 and less than the number of points. Default 30. */
  perplexity?: number;
  /** Gradient steps in all, the exaggerated ones included. Default 1000. */
  iterations?: number;
  /** Factor on P during the first `exaggerationIterations` steps (at least 1). Default 12. */
  exaggeration?: number;
  /** Steps with exaggeration and momentum 0.5; momentum is 0.8 after them. Default 250. */
  exaggerationIterations?: number;
  /** Step size, or `auto` (default): max(N / exaggeration / 4, 50), scikit-learn's choice. */
  learningRate?: number | 'auto';
  /** Barnes-Hut accuracy: a cell of width w at distance d from a point is summarised when w / d <= theta. 0 gives the exact O(N^2) gradient. Default 0.5. */
  theta?: number;
  /**
   * Starting layout: `pca` (default): the first principal components scaled so that the first has
   * standard deviation 1e-4; `random`: normal with standard deviation 1e-4; or `[count, dimensions]`
   * positions, used as they are.
   */
  init?: 'pca' | 'random' | Float32Array | Float64Array;
  /** Seed of the random initialisation and of PCA's starting block. Default 0. */
  seed?: number;
  /** Show a progress line (steps done of total, the KL) and a final line with the time. Default true. */
  progress?: boolean;
  /**
   * Advanced: the neighbour graph to use instead of computing it, as
   * `nearestNeighbours(data, data, k, { excludeSelf: true })` returns it, with k at least
   * min(N - 1, floor(3 perplexity + 1)) (only that many nearest are used), e.g. to reuse one graph
   * for several runs.
   */
  neighbourGraph?: Neighbours;
  /**
   * Called after every step with its number (1-based), the KL divergence when it was computed
   * (every 50 steps and at the last) and the current positions (do not modify them).
   */
  onIteration?: (iteration: number, klDivergence: number | undefined, positions: Float64Array) => void;
}

/** What `tsne` returns. */
export interface TsneResult {
  /** The layout, `[count, dimensions]`. */
  readonly embedding: Embedding;
  /** KL(P || Q) at the final layout (with Barnes-Hut's approximate normalisation unless theta is 0). */
  readonly klDivergence: number;
  /** Steps taken: `iterations` unless the gradient vanished or the KL stopped improving first. */
  readonly iterations: number;
  /** The joint probabilities P of the data (symmetric, summing to 1). */
  readonly affinities: SparseAffinities;
  /** Wall time in seconds, all stages. */
  readonly seconds: number;
  /** Seconds per stage: neighbour search (0 when `neighbourGraph` was given), affinities, initialisation, gradient descent. */
  readonly timings: { readonly neighbours: number; readonly affinities: number; readonly initialisation: number; readonly optimisation: number };
}

const PERPLEXITY_TOLERANCE = 1e-5;
const PERPLEXITY_STEPS = 100;
/** Steps between KL checks, as scikit-learn's `_N_ITER_CHECK`. */
const CHECK_EVERY = 50;
/** scikit-learn's `n_iter_without_progress`, applied after the exaggerated phase. */
const STEPS_WITHOUT_PROGRESS = 300;
const MIN_GRADIENT_NORM = 1e-7;
const MIN_GAIN = 0.01;
/** Deepest tree level; points still together there share one leaf. */
const MAX_DEPTH = 50;

function checkDimensions(dims: number, what = 'dimensions'): number {
  if (dims !== 1 && dims !== 2 && dims !== 3) throw new Error(`${what} must be 1, 2 or 3, got ${dims}`);
  return dims;
}

function checkPositions(y: ArrayLike<number>, count: number, dims: number, what: string): void {
  if (y.length !== count * dims) throw new Error(`${what}: expected ${count} x ${dims} = ${count * dims} values, got ${y.length}`);
}

function checkSparse(p: SparseAffinities, what: string): void {
  const n = p.count;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${what}: count must be a positive integer, got ${n}`);
  if (p.rowStart.length !== n + 1 || p.rowStart[0] !== 0 || p.rowStart[n] !== p.columns.length || p.columns.length !== p.values.length) {
    throw new Error(`${what}: malformed sparse matrix (${p.rowStart.length} row starts for ${n} rows, ${p.columns.length} columns, ${p.values.length} values)`);
  }
  for (let i = 0; i < n; i++) if (p.rowStart[i + 1] < p.rowStart[i]) throw new Error(`${what}: row ${i} ends before it starts`);
  for (let e = 0; e < p.columns.length; e++) {
    const j = p.columns[e];
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new Error(`${what}: column ${j} outside 0..${n - 1}`);
  }
}

function checkExaggeration(value: number | undefined): number {
  const e = value ?? 1;
  if (!Number.isFinite(e) || e <= 0) throw new Error(`exaggeration must be a positive number, got ${e}`);
  return e;
}

/**
 * For each point, the Gaussian conditional probabilities p(j|i) proportional to
 * exp(-beta_i d_ij) over its k neighbours, where `distancesSquared` `[count, k]` holds the squared
 * distances d_ij and beta_i is found by binary search so that the entropy of the row is
 * log(perplexity) within 1e-5 (at most 100 steps, starting from beta = 1 and doubling or halving
 * until bracketed, as scikit-learn's `_binary_search_perplexity`). Distances are shifted by the
 * row's smallest before the exponential, which changes nothing but underflow.
 */
export function perplexityAffinities(distancesSquared: ArrayLike<number>, k: number, perplexity: number): ConditionalAffinities {
  checkPositiveInt(k, 'k');
  if (distancesSquared.length % k !== 0) throw new Error(`perplexityAffinities: ${distancesSquared.length} distances are not rows of k = ${k}`);
  if (!Number.isFinite(perplexity) || perplexity < 1) throw new Error(`perplexity must be a number of at least 1, got ${perplexity}`);
  const count = distancesSquared.length / k;
  const values = new Float64Array(count * k);
  const betas = new Float64Array(count);
  const entropies = new Float64Array(count);
  const target = Math.log(perplexity);
  const shifted = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    let smallest = Infinity;
    for (let j = 0; j < k; j++) {
      const d = distancesSquared[i * k + j];
      if (!(d >= 0) || !Number.isFinite(d)) throw new Error(`perplexityAffinities: distance [${i}, ${j}] is ${d}, expected a finite number >= 0`);
      smallest = Math.min(smallest, d);
    }
    for (let j = 0; j < k; j++) shifted[j] = distancesSquared[i * k + j] - smallest;
    const row = values.subarray(i * k, (i + 1) * k);
    let beta = 1;
    let low = -Infinity;
    let high = Infinity;
    let entropy = 0;
    for (let step = 0; step < PERPLEXITY_STEPS; step++) {
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const v = Math.exp(-shifted[j] * beta);
        row[j] = v;
        sum += v;
      }
      // The smallest shifted distance is 0, so sum >= 1.
      let weighted = 0;
      for (let j = 0; j < k; j++) {
        row[j] /= sum;
        weighted += shifted[j] * row[j];
      }
      entropy = Math.log(sum) + beta * weighted;
      const diff = entropy - target;
      if (Math.abs(diff) <= PERPLEXITY_TOLERANCE) break;
      if (diff > 0) {
        low = beta;
        beta = high === Infinity ? beta * 2 : (beta + high) / 2;
      } else {
        high = beta;
        beta = low === -Infinity ? beta / 2 : (beta + low) / 2;
      }
    }
    betas[i] = beta;
    entropies[i] = entropy;
  }
  return { values, betas, entropies };
}

/**
 * The joint probabilities P = (p(j|i) + p(i|j)) / (2N) as a sparse symmetric matrix, from the
 * neighbour `indices` `[count, k]` (distinct, never the point itself) and the conditional
 * probabilities `conditional` `[count, k]`: an entry exists where either point is among the other's
 * neighbours. The sum is divided by its total, which is 2N when each row sums to 1 (as
 * scikit-learn), so P sums to 1. Rows list their columns in ascending order.
 */
export function symmetrize(indices: ArrayLike<number>, conditional: ArrayLike<number>, count: number, k: number): SparseAffinities {
  checkPositiveInt(count, 'count');
  checkPositiveInt(k, 'k');
  if (indices.length !== count * k) throw new Error(`symmetrize: expected ${count} x ${k} = ${count * k} indices, got ${indices.length}`);
  if (conditional.length !== count * k) throw new Error(`symmetrize: expected ${count} x ${k} = ${count * k} probabilities, got ${conditional.length}`);
  let total = 0;
  for (let e = 0; e < count * k; e++) {
    const j = indices[e];
    const i = Math.floor(e / k);
    if (!Number.isInteger(j) || j < 0 || j >= count || j === i) throw new Error(`symmetrize: neighbour ${e % k} of point ${i} is ${j}, expected another point in 0..${count - 1}`);
    const v = conditional[e];
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`symmetrize: probability [${i}, ${e % k}] is ${v}, expected a finite number >= 0`);
    total += v;
  }
  // Every (i, j) and its transpose (j, i), bucketed by row.
  const rowCount = new Int32Array(count + 1);
  for (let e = 0; e < count * k; e++) {
    rowCount[Math.floor(e / k) + 1]++;
    rowCount[indices[e] + 1]++;
  }
  for (let i = 0; i < count; i++) rowCount[i + 1] += rowCount[i];
  const fill = rowCount.slice(0, count);
  const pairColumns = new Int32Array(2 * count * k);
  const pairValues = new Float64Array(2 * count * k);
  for (let e = 0; e < count * k; e++) {
    const i = Math.floor(e / k);
    const j = indices[e];
    const v = conditional[e];
    pairColumns[fill[i]] = j;
    pairValues[fill[i]++] = v;
    pairColumns[fill[j]] = i;
    pairValues[fill[j]++] = v;
  }
  // Merge duplicates within each row (a column appears twice when the points are mutual neighbours).
  const slot = new Int32Array(count).fill(-1);
  const rowStart = new Int32Array(count + 1);
  const columns = new Int32Array(2 * count * k);
  const values = new Float64Array(2 * count * k);
  const scale = total > 0 ? 1 / (2 * total) : 0;
  let out = 0;
  for (let i = 0; i < count; i++) {
    const start = out;
    for (let e = rowCount[i]; e < rowCount[i + 1]; e++) {
      const j = pairColumns[e];
      if (slot[j] < 0) {
        slot[j] = out;
        columns[out] = j;
        values[out++] = pairValues[e];
      } else {
        values[slot[j]] += pairValues[e];
      }
    }
    // Columns ascending; the slots are cleared for the next row.
    const rowColumns = columns.subarray(start, out);
    const rowValues = values.slice(start, out);
    const order = Int32Array.from(rowColumns.keys()).sort((a, b) => rowColumns[a] - rowColumns[b]);
    const sortedColumns = Int32Array.from(order, (a) => rowColumns[a]);
    for (let a = 0; a < order.length; a++) {
      columns[start + a] = sortedColumns[a];
      values[start + a] = rowValues[order[a]] * scale;
      slot[sortedColumns[a]] = -1;
    }
    rowStart[i + 1] = out;
  }
  return { count, rowStart, columns: columns.slice(0, out), values: values.slice(0, out) };
}

/**
 * The exact gradient of KL(P || Q) with respect to the layout `y` `[count, dimensions]`, where
 * q_ij = (1 + |y_i - y_j|^2)^-1 / Z over all pairs i != j: dC/dy_i = 4 sum_j (e p_ij - q_ij)
 * (1 + |y_i - y_j|^2)^-1 (y_i - y_j), with e the exaggeration. P is a symmetric joint distribution,
 * sparse or dense `[count, count]` row-major (the diagonal is ignored). O(N^2): for small sets and
 * for checking `barnesHutGradient`.
 */
export function exactGradient(p: SparseAffinities | ArrayLike<number>, y: ArrayLike<number>, dimensions: number, options: GradientOptions = {}): TsneGradient {
  checkDimensions(dimensions);
  const exaggeration = checkExaggeration(options.exaggeration);
  if (isSparse(p)) {
    checkSparse(p, 'exactGradient: P');
    checkPositions(y, p.count, dimensions, 'exactGradient: y');
    const pairs = isSymmetric(p);
    return exact(pairs ? upperTriangle(p) : p, pairs, y, dimensions, exaggeration);
  }
  const n = Math.round(Math.sqrt(p.length));
  if (n * n !== p.length) throw new Error(`exactGradient: a dense P needs count x count values, got ${p.length}`);
  checkPositions(y, n, dimensions, 'exactGradient: y');
  return exact(p, false, y, dimensions, exaggeration);
}

/** `exactGradient` on checked input; a sparse P given by its upper triangle when `pairs`. */
function exact(p: SparseAffinities | ArrayLike<number>, pairs: boolean, y: ArrayLike<number>, dimensions: number, exaggeration: number): TsneGradient {
  const sparse = isSparse(p);
  const n = sparse ? p.count : Math.round(Math.sqrt(p.length));
  const gradient = new Float64Array(n * dimensions);
  const repulsion = new Float64Array(n * dimensions);
  const attraction = new Float64Array(n * dimensions);
  const diff = new Float64Array(dimensions);
  let z = 0;
  let sumP = 0;
  let pLogP = 0;
  let pLogW = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let a = 0; a < dimensions; a++) {
        diff[a] = y[i * dimensions + a] - y[j * dimensions + a];
        d2 += diff[a] * diff[a];
      }
      const w = 1 / (1 + d2);
      z += 2 * w;
      const w2 = w * w;
      for (let a = 0; a < dimensions; a++) {
        repulsion[i * dimensions + a] += w2 * diff[a];
        repulsion[j * dimensions + a] -= w2 * diff[a];
      }
      if (!sparse) {
        const pij = p[i * n + j];
        const pji = p[j * n + i];
        for (let a = 0; a < dimensions; a++) {
          attraction[i * dimensions + a] += pij * w * diff[a];
          attraction[j * dimensions + a] -= pji * w * diff[a];
        }
        if (pij > 0) {
          sumP += pij;
          pLogP += pij * Math.log(pij);
          pLogW += pij * Math.log(w);
        }
        if (pji > 0) {
          sumP += pji;
          pLogP += pji * Math.log(pji);
          pLogW += pji * Math.log(w);
        }
      }
    }
  }
  if (sparse) {
    const kl = attractiveForces(p, y, dimensions, attraction, true, pairs);
    sumP = kl.sumP;
    pLogP = kl.pLogP;
    pLogW = -kl.pLogOnePlusD2;
  }
  z = Math.max(z, Number.EPSILON);
  for (let e = 0; e < n * dimensions; e++) gradient[e] = 4 * (exaggeration * attraction[e] - repulsion[e] / z);
  return { gradient, klDivergence: pLogP - pLogW + sumP * Math.log(z), normalisation: z };
}

function isSparse(p: SparseAffinities | ArrayLike<number>): p is SparseAffinities {
  return (p as SparseAffinities).rowStart !== undefined;
}

/** The entries of P above the diagonal (j > i): each pair of a symmetric P once. */
function upperTriangle(p: SparseAffinities): SparseAffinities {
  const rowStart = new Int32Array(p.count + 1);
  let kept = 0;
  for (let i = 0; i < p.count; i++) {
    for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) if (p.columns[e] > i) kept++;
    rowStart[i + 1] = kept;
  }
  const columns = new Int32Array(kept);
  const values = new Float64Array(kept);
  let at = 0;
  for (let i = 0; i < p.count; i++) {
    for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) {
      if (p.columns[e] > i) {
        columns[at] = p.columns[e];
        values[at++] = p.values[e];
      }
    }
  }
  return { count: p.count, rowStart, columns, values };
}

/** True when P equals its transpose exactly (same entries, same values). */
function isSymmetric(p: SparseAffinities): boolean {
  const seen = new Map<number, number>();
  const n = p.count;
  for (let i = 0; i < n; i++) {
    for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) {
      const j = p.columns[e];
      if (j === i) continue;
      const key = Math.min(i, j) * n + Math.max(i, j);
      const other = seen.get(key);
      if (other === undefined) seen.set(key, p.values[e]);
      else if (other !== p.values[e]) return false;
      else seen.delete(key);
    }
  }
  return seen.size === 0;
}

/**
 * Adds sum_j p_ij (1 + d_ij^2)^-1 (y_i - y_j) to `out` for each i; with `withKl`, also returns the
 * sums that make the KL divergence: sum p, sum p log p and sum p log(1 + d^2). With `pairs`, `p`
 * holds each pair of a symmetric P once (its upper triangle) and each entry acts on both points:
 * half the work.
 */
function attractiveForces(p: SparseAffinities, y: ArrayLike<number>, dims: number, out: Float64Array, withKl: boolean, pairs = false): { sumP: number; pLogP: number; pLogOnePlusD2: number } {
  const { rowStart, columns, values, count } = p;
  let sumP = 0;
  let pLogP = 0;
  let pLogOnePlusD2 = 0;
  if (dims === 2 && pairs) {
    for (let i = 0; i < count; i++) {
      const xi = y[2 * i];
      const yi = y[2 * i + 1];
      let fx = 0;
      let fy = 0;
      for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
        const j = columns[e];
        const dx = xi - y[2 * j];
        const dy = yi - y[2 * j + 1];
        const d2 = dx * dx + dy * dy;
        const v = values[e];
        const pw = v / (1 + d2);
        const px = pw * dx;
        const py = pw * dy;
        fx += px;
        fy += py;
        out[2 * j] -= px;
        out[2 * j + 1] -= py;
        if (withKl && v > 0) {
          sumP += 2 * v;
          pLogP += 2 * v * Math.log(v);
          pLogOnePlusD2 += 2 * v * Math.log(1 + d2);
        }
      }
      out[2 * i] += fx;
      out[2 * i + 1] += fy;
    }
    return { sumP, pLogP, pLogOnePlusD2 };
  }
  const weight = pairs ? 2 : 1;
  for (let i = 0; i < count; i++) {
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      const j = columns[e];
      if (j === i) continue;
      let d2 = 0;
      for (let a = 0; a < dims; a++) {
        const d = y[i * dims + a] - y[j * dims + a];
        d2 += d * d;
      }
      const v = values[e];
      const pw = v / (1 + d2);
      for (let a = 0; a < dims; a++) {
        const f = pw * (y[i * dims + a] - y[j * dims + a]);
        out[i * dims + a] += f;
        if (pairs) out[j * dims + a] -= f;
      }
      if (withKl && v > 0) {
        sumP += weight * v;
        pLogP += weight * v * Math.log(v);
        pLogOnePlusD2 += weight * v * Math.log(1 + d2);
      }
    }
  }
  return { sumP, pLogP, pLogOnePlusD2 };
}

/**
 * A space-partitioning tree (quadtree in 2-D, binary in 1-D, octree in 3-D) over the layout, in
 * typed arrays that are reused from one build to the next. Cells are stored in depth-first order,
 * each with its centre of mass, its number of points and its squared width (0 for a leaf), and
 * `skip[c]`, the first cell after c's subtree: a traversal is one forward loop that either steps
 * into a cell (c + 1) or jumps over it.
 */
class SpaceTree {
  private readonly dims: number;
  private readonly branching: number;
  private capacity = 0;
  // Pointer tree of the build, in creation order.
  private children = new Int32Array(0);
  private parent = new Int32Array(0);
  /** First point of a leaf's list, or -1 for an internal cell. */
  private head = new Int32Array(0);
  private depth = new Uint8Array(0);
  private centre = new Float64Array(0);
  private half = new Float64Array(0);
  private sums = new Float64Array(0);
  private counts = new Float64Array(0);
  private subtree = new Int32Array(0);
  private stack = new Int32Array(0);
  private nextPoint = new Int32Array(0);
  /** Depth-first cells: `dims` coordinates of the centre of mass, the count, the squared width. */
  node = new Float64Array(0);
  skip = new Int32Array(0);
  cells = 0;

  constructor(dims: number) {
    this.dims = dims;
    this.branching = 1 << dims;
  }

  private grow(needed: number): void {
    if (needed <= this.capacity) return;
    const capacity = Math.max(needed, 2 * this.capacity, 64);
    const d = this.dims;
    const grown = <T extends Int32Array | Float64Array | Uint8Array>(old: T, size: number, fill?: number): T => {
      const next = new (old.constructor as new (n: number) => T)(size);
      next.set(old);
      if (fill !== undefined) next.fill(fill, old.length);
      return next;
    };
    this.children = grown(this.children, capacity * this.branching, -1);
    this.parent = grown(this.parent, capacity);
    this.head = grown(this.head, capacity);
    this.depth = grown(this.depth, capacity);
    this.centre = grown(this.centre, capacity * d);
    this.half = grown(this.half, capacity);
    this.sums = new Float64Array(capacity * d);
    this.counts = new Float64Array(capacity);
    this.subtree = new Int32Array(capacity);
    this.stack = new Int32Array(capacity);
    this.node = new Float64Array(capacity * (d + 2));
    this.skip = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** A new empty leaf as child `quadrant` of `parentCell`; the caller has made room. */
  private newCell(parentCell: number, quadrant: number): number {
    const c = this.cells++;
    const d = this.dims;
    const b = this.branching;
    for (let q = 0; q < b; q++) this.children[c * b + q] = -1;
    this.parent[c] = parentCell;
    this.head[c] = -1;
    const h = this.half[parentCell] / 2;
    this.half[c] = h;
    this.depth[c] = this.depth[parentCell] + 1;
    for (let a = 0; a < d; a++) this.centre[c * d + a] = this.centre[parentCell * d + a] + ((quadrant >> a) & 1 ? h : -h);
    this.children[parentCell * b + quadrant] = c;
    return c;
  }

  /** Builds the tree over `count` points `y` `[count, dims]`: a point joins a leaf only at its exact position (or at depth 50). */
  build(y: Float64Array, count: number): void {
    const d = this.dims;
    if (this.nextPoint.length < count) {
      this.nextPoint = new Int32Array(count);
    }
    this.grow(2 * count + MAX_DEPTH + 2);
    // Root: a cube around the bounding box, always internal.
    let extent = 0;
    this.cells = 1;
    this.children.fill(-1, 0, this.branching);
    this.parent[0] = -1;
    this.head[0] = -1;
    this.depth[0] = 0;
    for (let a = 0; a < d; a++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < count; i++) {
        const v = y[i * d + a];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.centre[a] = (lo + hi) / 2;
      extent = Math.max(extent, hi - lo);
    }
    this.half[0] = extent > 0 ? extent / 2 : 1;
    const { nextPoint } = this;
    const branching = this.branching;
    for (let p = 0; p < count; p++) {
      // At most MAX_DEPTH + 1 new cells per point: grow first, so the arrays below stay valid.
      if (this.cells + MAX_DEPTH + 2 > this.capacity) this.grow(this.cells + MAX_DEPTH + 2);
      const { children, head, centre, depth } = this;
      let c = 0;
      for (;;) {
        let q = 0;
        for (let a = 0; a < d; a++) if (y[p * d + a] >= centre[c * d + a]) q |= 1 << a;
        let child = children[c * branching + q];
        if (child < 0) {
          child = this.newCell(c, q);
          head[child] = p;
          nextPoint[p] = -1;
          break;
        }
        const first = head[child];
        if (first < 0) {
          c = child;
          continue;
        }
        let same = true;
        for (let a = 0; a < d && same; a++) same = y[p * d + a] === y[first * d + a];
        if (same || depth[child] >= MAX_DEPTH) {
          nextPoint[p] = first;
          head[child] = p;
          break;
        }
        // Split the leaf: its points (all at one position) move to a new child, then p goes on down.
        head[child] = -1;
        let firstQ = 0;
        for (let a = 0; a < d; a++) if (y[first * d + a] >= centre[child * d + a]) firstQ |= 1 << a;
        const moved = this.newCell(child, firstQ);
        head[moved] = first;
        c = child;
      }
    }
    this.summarise(y);
  }

  /** Centres of mass, counts and the depth-first layout of the cells. */
  private summarise(y: Float64Array): void {
    const d = this.dims;
    const cells = this.cells;
    const { sums, counts, subtree, head, nextPoint, parent } = this;
    sums.fill(0, 0, cells * d);
    counts.fill(0, 0, cells);
    subtree.fill(1, 0, cells);
    for (let c = 0; c < cells; c++) {
      for (let m = head[c]; m >= 0; m = nextPoint[m]) {
        counts[c]++;
        for (let a = 0; a < d; a++) sums[c * d + a] += y[m * d + a];
      }
    }
    // Children are created after their parents, so one backward pass sums every subtree.
    for (let c = cells - 1; c > 0; c--) {
      const up = parent[c];
      counts[up] += counts[c];
      subtree[up] += subtree[c];
      for (let a = 0; a < d; a++) sums[up * d + a] += sums[c * d + a];
    }
    // Depth-first numbering.
    const { stack, children, node, skip } = this;
    const stride = d + 2;
    let top = 0;
    let at = 0;
    stack[top++] = 0;
    while (top > 0) {
      const c = stack[--top];
      const id = at++;
      const n = counts[c];
      for (let a = 0; a < d; a++) node[id * stride + a] = sums[c * d + a] / n;
      node[id * stride + d] = n;
      const width = 2 * this.half[c];
      node[id * stride + d + 1] = head[c] >= 0 ? 0 : width * width;
      skip[id] = id + subtree[c];
      for (let q = this.branching - 1; q >= 0; q--) {
        const child = children[c * this.branching + q];
        if (child >= 0) stack[top++] = child;
      }
    }
  }
}

/**
 * Workspace of the Barnes-Hut gradient, reused over the iterations of one run.
 */
class BarnesHut {
  private readonly tree: SpaceTree;
  private readonly repulsion: Float64Array;
  private readonly attraction: Float64Array;
  readonly gradient: Float64Array;

  constructor(
    private readonly count: number,
    private readonly dims: number,
  ) {
    this.tree = new SpaceTree(dims);
    this.repulsion = new Float64Array(count * dims);
    this.attraction = new Float64Array(count * dims);
    this.gradient = new Float64Array(count * dims);
  }

  /** Fills `gradient` (P given by its upper triangle when `pairs`); returns Z and, with `withKl`, the KL divergence (else NaN). */
  compute(p: SparseAffinities, pairs: boolean, y: Float64Array, theta: number, exaggeration: number, withKl: boolean): { z: number; kl: number } {
    const { count, dims, tree, repulsion, attraction, gradient } = this;
    tree.build(y, count);
    const z = Math.max(dims === 2 ? this.repulsion2(y, theta * theta) : this.repulsionAny(y, theta * theta), Number.EPSILON);
    attraction.fill(0);
    const sums = attractiveForces(p, y, dims, attraction, withKl, pairs);
    for (let e = 0; e < count * dims; e++) gradient[e] = 4 * (exaggeration * attraction[e] - repulsion[e] / z);
    return { z, kl: withKl ? sums.pLogP + sums.pLogOnePlusD2 + sums.sumP * Math.log(z) : NaN };
  }

  /** Unnormalised repulsion sum_j w_ij^2 (y_i - y_j) of every point into `repulsion`; returns Z. */
  private repulsion2(y: Float64Array, theta2: number): number {
    const { node, skip, cells } = this.tree;
    const out = this.repulsion;
    let z = 0;
    for (let i = 0; i < this.count; i++) {
      const xi = y[2 * i];
      const yi = y[2 * i + 1];
      let fx = 0;
      let fy = 0;
      let zi = 0;
      let c = 0;
      while (c < cells) {
        const o = c * 4;
        const dx = xi - node[o];
        const dy = yi - node[o + 1];
        const d2 = dx * dx + dy * dy;
        if (node[o + 3] <= theta2 * d2) {
          const w = 1 / (1 + d2);
          const nw = node[o + 2] * w;
          zi += nw;
          const nw2 = nw * w;
          fx += nw2 * dx;
          fy += nw2 * dy;
          c = skip[c];
        } else {
          c++;
        }
      }
      // The point's own leaf was summarised with weight 1 (distance 0).
      z += zi - 1;
      out[2 * i] = fx;
      out[2 * i + 1] = fy;
    }
    return z;
  }

  private repulsionAny(y: Float64Array, theta2: number): number {
    const { node, skip, cells } = this.tree;
    const d = this.dims;
    const stride = d + 2;
    const out = this.repulsion;
    const force = new Float64Array(d);
    let z = 0;
    for (let i = 0; i < this.count; i++) {
      force.fill(0);
      let zi = 0;
      let c = 0;
      while (c < cells) {
        const o = c * stride;
        let d2 = 0;
        for (let a = 0; a < d; a++) {
          const diff = y[i * d + a] - node[o + a];
          d2 += diff * diff;
        }
        if (node[o + d + 1] <= theta2 * d2) {
          const w = 1 / (1 + d2);
          const nw = node[o + d] * w;
          zi += nw;
          for (let a = 0; a < d; a++) force[a] += nw * w * (y[i * d + a] - node[o + a]);
          c = skip[c];
        } else {
          c++;
        }
      }
      z += zi - 1;
      for (let a = 0; a < d; a++) out[i * d + a] = force[a];
    }
    return z;
  }
}

/**
 * The Barnes-Hut approximation of `exactGradient` for a sparse P: attractive forces exactly over
 * P's entries; repulsive forces and Z from a space-partitioning tree, where a cell of width w whose
 * centre of mass lies at distance r from the point stands for all its points when w <= theta r
 * (theta 0 visits every point: exact up to rounding). O(N log N) per evaluation.
 */
export function barnesHutGradient(p: SparseAffinities, y: ArrayLike<number>, dimensions: number, theta: number, options: GradientOptions = {}): TsneGradient {
  checkDimensions(dimensions);
  checkSparse(p, 'barnesHutGradient: P');
  checkPositions(y, p.count, dimensions, 'barnesHutGradient: y');
  if (!Number.isFinite(theta) || theta < 0) throw new Error(`theta must be a number >= 0, got ${theta}`);
  const exaggeration = checkExaggeration(options.exaggeration);
  const positions = Float64Array.from(y);
  checkFinite(positions, 'barnesHutGradient: y');
  const bh = new BarnesHut(p.count, dimensions);
  const pairs = isSymmetric(p);
  const { z, kl } = bh.compute(pairs ? upperTriangle(p) : p, pairs, positions, theta, exaggeration, true);
  return { gradient: bh.gradient, klDivergence: kl, normalisation: z };
}

/** The PCA start: the first `dims` principal components, scaled so that the first has standard deviation 1e-4. */
async function pcaStart(data: Embedding, dims: number, seed: number): Promise<Float64Array> {
  if (data.latentDim < dims) throw new Error(`tsne: init "pca" needs at least ${dims} input dimensions (dimensions), the data has ${data.latentDim}; use init "random"`);
  const x = tf.tensor2d(data.z, [data.count, data.latentDim]);
  let codes: Float32Array;
  try {
    const pca = await Pca.fit(x, { components: dims, seed });
    const t = pca.transform(x);
    codes = (await t.data()) as Float32Array;
    t.dispose();
    pca.dispose();
  } finally {
    x.dispose();
  }
  const n = data.count;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += codes[i * dims];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (codes[i * dims] - mean) ** 2;
  const std = Math.sqrt(variance / n);
  if (!(std > 0) || !Number.isFinite(std)) return randomStart(n, dims, seed);
  const y = new Float64Array(n * dims);
  for (let e = 0; e < n * dims; e++) y[e] = (codes[e] / std) * 1e-4;
  return y;
}

/** The `k` nearest of each point's neighbours in `graph` (nearest first), as their own graph. */
function firstNeighbours(graph: Neighbours, k: number): Neighbours {
  if (graph.k === k) return graph;
  const indices = new Int32Array(graph.count * k);
  const distances = new Float32Array(graph.count * k);
  for (let i = 0; i < graph.count; i++) {
    indices.set(graph.indices.subarray(i * graph.k, i * graph.k + k), i * k);
    distances.set(graph.distances.subarray(i * graph.k, i * graph.k + k), i * k);
  }
  return { indices, distances, count: graph.count, k };
}

function randomStart(count: number, dims: number, seed: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: count * dims }, () => 1e-4 * random.normal());
}

/**
 * t-SNE: a `dimensions`-D layout of `data` whose Student-t neighbour probabilities Q match the
 * Gaussian ones P of the data (KL(P || Q) minimised). P: for each point its
 * min(N - 1, floor(3 perplexity + 1)) exact nearest neighbours (squared Euclidean distances), a
 * Gaussian per point with its width set by binary search to the perplexity, symmetrised and
 * normalised. Optimisation as scikit-learn's: gradient descent with momentum 0.5 and P exaggerated
 * 12-fold for the first 250 steps, then momentum 0.8; per-coordinate gains (+0.2 where the gradient
 * points against the last update, x0.8 where it points along it, at least 0.01); learning rate
 * max(N / 48, 50) (for a few hundred points that is large; a smaller one can give a cleaner
 * layout). Every 50 steps the KL and the gradient norm are checked: after the exaggerated phase the
 * run stops when the norm is below 1e-7 or the KL has not improved for 300 steps; during it, a
 * norm below 1e-7 ends the exaggeration. The gradient is Barnes-Hut's with `theta` (default 0.5),
 * or exact (O(N^2) per step) when theta is 0.
 */
export async function tsne(data: Embedding, options: TsneOptions = {}): Promise<TsneResult> {
  const started = performance.now();
  checkEmbedding(data, 'tsne: data', { allowEmpty: true });
  const n = data.count;
  if (n < 2) throw new Error(`tsne needs at least 2 points, got ${n}`);
  checkFinite(data.z, 'tsne: data.z');
  const dims = checkDimensions(options.dimensions ?? 2);
  const perplexity = options.perplexity ?? 30;
  if (!Number.isFinite(perplexity) || perplexity < 1 || perplexity >= n) {
    throw new Error(`perplexity must be at least 1 and less than the number of points (${n}), got ${perplexity}`);
  }
  const iterations = checkPositiveInt(options.iterations ?? 1000, 'iterations');
  const exaggeration = options.exaggeration ?? 12;
  if (!Number.isFinite(exaggeration) || exaggeration < 1) throw new Error(`exaggeration must be a number of at least 1, got ${exaggeration}`);
  const exaggerationIterations = options.exaggerationIterations ?? 250;
  if (!Number.isSafeInteger(exaggerationIterations) || exaggerationIterations < 0) {
    throw new Error(`exaggerationIterations must be an integer >= 0, got ${exaggerationIterations}`);
  }
  const rate = options.learningRate ?? 'auto';
  if (rate !== 'auto' && (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0)) {
    throw new Error(`learningRate must be a positive number or "auto", got ${String(rate)}`);
  }
  const learningRate = rate === 'auto' ? Math.max(n / exaggeration / 4, 50) : rate;
  const theta = options.theta ?? 0.5;
  if (typeof theta !== 'number' || !Number.isFinite(theta) || theta < 0) throw new Error(`theta must be a number >= 0, got ${theta}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const init = options.init ?? 'pca';
  if (typeof init === 'string') {
    if (init !== 'pca' && init !== 'random') throw new Error(`init must be "pca", "random" or an array of positions, got "${init}"`);
  } else {
    checkPositions(init, n, dims, 'tsne: init');
    checkFinite(init, 'tsne: init');
  }
  const progress = options.progress === false ? undefined : new ProgressLine();
  const seconds = () => (performance.now() - started) / 1000;

  // Affinities.
  const k = Math.min(n - 1, Math.floor(3 * perplexity + 1));
  const given = options.neighbourGraph;
  if (given !== undefined && (given.count !== n || given.k < k || given.indices.length !== n * given.k || given.distances.length !== n * given.k)) {
    throw new Error(`tsne: neighbourGraph should hold at least ${k} neighbours (min(N - 1, floor(3 perplexity + 1))) of each of ${n} points, got ${given.k} of ${given.count}`);
  }
  progress?.update(`t-SNE of ${n} points: exact ${k}-nearest neighbours`, true);
  let mark = performance.now();
  const neighbours = given === undefined ? await nearestNeighbours(data, data, k, { excludeSelf: true }) : firstNeighbours(given, k);
  const tNeighbours = given === undefined ? (performance.now() - mark) / 1000 : 0;
  mark = performance.now();
  const conditional = perplexityAffinities(neighbours.distances, k, perplexity);
  const p = symmetrize(neighbours.indices, conditional.values, n, k);
  const tAffinities = (performance.now() - mark) / 1000;
  mark = performance.now();
  const y = typeof init !== 'string' ? Float64Array.from(init) : init === 'pca' ? await pcaStart(data, dims, seed) : randomStart(n, dims, seed);
  const tInit = (performance.now() - mark) / 1000;
  mark = performance.now();

  // Gradient descent.
  // symmetrize's P is symmetric to the last bit (floating-point addition commutes): each pair once.
  const upper = upperTriangle(p);
  const bh = theta > 0 ? new BarnesHut(n, dims) : undefined;
  const gradientAt = (exag: number, withKl: boolean): { gradient: Float64Array; kl: number } => {
    if (bh !== undefined) {
      const { kl } = bh.compute(upper, true, y, theta, exag, withKl);
      return { gradient: bh.gradient, kl };
    }
    const found = exact(upper, true, y, dims, exag);
    return { gradient: found.gradient, kl: found.klDivergence };
  };
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const yielder = new EventLoopYielder(100);
  let kl = NaN;
  let done = 0;
  let best = Infinity;
  let bestIteration = 0;
  let exaggerationEnd = exaggerationIterations;
  for (let it = 0; it < iterations; it++) {
    const exaggerated = it < exaggerationEnd;
    if (it === exaggerationEnd) bestIteration = it;
    const momentum = exaggerated ? 0.5 : 0.8;
    const check = (it + 1) % CHECK_EVERY === 0 || it === iterations - 1;
    const { gradient, kl: itKl } = gradientAt(exaggerated ? exaggeration : 1, check);
    let norm2 = 0;
    for (let e = 0; e < n * dims; e++) {
      const g = gradient[e];
      let gain = gains[e];
      gain = update[e] * g < 0 ? gain + 0.2 : gain * 0.8;
      if (gain < MIN_GAIN) gain = MIN_GAIN;
      gains[e] = gain;
      const step = gain * g;
      norm2 += step * step;
      update[e] = momentum * update[e] - learningRate * step;
      y[e] += update[e];
    }
    done = it + 1;
    if (check) kl = itKl;
    options.onIteration?.(done, check ? itKl : undefined, y);
    progress?.update(`t-SNE of ${n} points: step ${done} of ${iterations}${exaggerated ? ' (exaggerated)' : ''}${Number.isNaN(kl) ? '' : `, KL ${kl.toFixed(3)}`}, ${seconds().toFixed(1)} s`);
    if (check) {
      if (exaggerated) {
        // scikit-learn ends the exaggerated phase when the gradient vanishes and goes on without it.
        if (Math.sqrt(norm2) <= MIN_GRADIENT_NORM) exaggerationEnd = it + 1;
      } else {
        if (Math.sqrt(norm2) <= MIN_GRADIENT_NORM) break;
        if (itKl < best) {
          best = itKl;
          bestIteration = it;
        } else if (it - bestIteration > STEPS_WITHOUT_PROGRESS) {
          break;
        }
      }
    }
    await yielder.maybeYield();
  }
  const final = gradientAt(1, true);
  kl = final.kl;
  const tOptimisation = (performance.now() - mark) / 1000;
  const total = seconds();
  progress?.done(`t-SNE of ${n} points: ${done} steps in ${total.toFixed(1)} s, KL ${kl.toFixed(3)} (exact neighbours ${tNeighbours.toFixed(1)} s)`);
  return {
    embedding: { z: Float32Array.from(y), count: n, latentDim: dims },
    klDivergence: kl,
    iterations: done,
    affinities: p,
    seconds: total,
    timings: { neighbours: tNeighbours, affinities: tAffinities, initialisation: tInit, optimisation: tOptimisation },
  };
}
