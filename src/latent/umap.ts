import { UMAP } from 'umap-js';
import { checkFinite, checkPositiveInt } from '../core/assert';
import { EventLoopYielder } from '../core/event-loop';
import { ProgressLine } from '../core/output';
import { Random } from '../core/random';
import { checkEmbedding } from './embed';
import type { Embedding } from './embed';
import { nearestNeighbours } from './knn';
import type { Neighbours } from './knn';

/** Options of `umap`. */
export interface UmapOptions {
  /** Dimensions of the embedding. Default 2. */
  dimensions?: number;
  /**
   * Size of each point's neighbourhood, the point itself included (umap-learn's and umap-js's
   * `n_neighbors`): each point is linked to its `neighbours - 1` nearest other points. Default 15.
   */
  neighbours?: number;
  /** Least distance between embedded points (umap-js's `minDist`). Default 0.1. */
  minDist?: number;
  /** Scale of the embedded points (umap-js's `spread`). Default 1. */
  spread?: number;
  /** Epochs of layout optimisation. Default umap-js's: 500 up to 2,500 points, 400 up to 5,000, 300 up to 7,500, 200 beyond. */
  epochs?: number;
  /** Seeds the random start and the negative sampling: the same seed gives the same embedding. */
  seed: number;
  /** Show a progress line (epochs done of total) and a final line with the time. Default true. */
  progress?: boolean;
  /**
   * Advanced: the neighbour graph to use instead of computing it, in the form
   * `nearestNeighbours(data, data, neighbours - 1, { excludeSelf: true })` returns (squared
   * distances, the point itself left out), e.g. to reuse one graph for several runs.
   */
  neighbourGraph?: Neighbours;
  /**
   * Advanced, for testing and comparison: how the layout is optimised. `fast` (the default):
   * umap-js's optimisation step on typed arrays (`optimizeUmapLayoutEpoch`), with the powers
   * d^(2b) and d^(2b - 2) of its attraction and repulsion taken from tables (relative error under
   * about 1e-8) instead of `Math.pow`, which costs most of umap-js's time; the layouts are as good,
   * but not umap-js's bit for bit (UMAP's optimisation is chaotic: any difference in rounding grows
   * into a different, equally good, layout). `exact`: the same step with `Math.pow`, which gives
   * umap-js's layout bit for bit, in about umap-js's time. `umap-js`: umap-js's own `step`.
   */
  optimiser?: 'fast' | 'exact' | 'umap-js';
}

/** The result of `umap`. */
export interface UmapResult {
  /** `[count, dimensions]`. */
  embedding: Embedding;
  /** Wall-clock seconds in all, the neighbour search included. */
  seconds: number;
  /** Epochs of layout optimisation run. */
  epochs: number;
  /** Seconds of those spent finding the exact nearest neighbours (0 when `neighbourGraph` was given). */
  knnSeconds: number;
}

/**
 * umap-js's precomputed graph from ours: umap-js (like umap-learn) expects each row to start with
 * the point itself at distance 0, followed by its `neighbours - 1` nearest other points, with
 * Euclidean (not squared) distances ascending. Its `smoothKNNDistance` skips the first column and
 * takes the first non-zero distance as the point's local scale, and `computeMembershipStrengths`
 * gives the point itself weight 0.
 */
export function umapNeighbourRows(graph: Neighbours): { indices: number[][]; distances: number[][] } {
  const { count, k } = graph;
  const indices: number[][] = new Array(count);
  const distances: number[][] = new Array(count);
  for (let i = 0; i < count; i++) {
    const rowIndices = new Array<number>(k + 1);
    const rowDistances = new Array<number>(k + 1);
    rowIndices[0] = i;
    rowDistances[0] = 0;
    for (let j = 0; j < k; j++) {
      rowIndices[j + 1] = graph.indices[i * k + j];
      rowDistances[j + 1] = Math.sqrt(graph.distances[i * k + j]);
    }
    indices[i] = rowIndices;
    distances[i] = rowDistances;
  }
  return { indices, distances };
}

function checkGraph(graph: Neighbours, count: number, neighbours: number): void {
  if (graph.count !== count) throw new Error(`umap: neighbourGraph has ${graph.count} points, the data ${count}`);
  if (graph.k !== neighbours - 1) throw new Error(`umap: neighbourGraph has ${graph.k} neighbours per point, expected neighbours - 1 = ${neighbours - 1} (the point itself left out)`);
  if (graph.indices.length !== count * graph.k || graph.distances.length !== count * graph.k) throw new Error(`umap: neighbourGraph holds ${graph.indices.length} indices and ${graph.distances.length} distances, expected ${count * graph.k}`);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < graph.k; j++) {
      const index = graph.indices[i * graph.k + j];
      const d = graph.distances[i * graph.k + j];
      if (!Number.isInteger(index) || index < 0 || index >= count || index === i) throw new Error(`umap: neighbourGraph neighbour ${j} of point ${i} is ${index}, expected another point in 0..${count - 1}`);
      if (!(d >= 0)) throw new Error(`umap: neighbourGraph distance ${j} of point ${i} is ${d}, expected a squared distance >= 0`);
    }
  }
}

/** The umap-js release whose internals `umapLayoutFromModel` reads (its optimisation state after `initializeFit`). */
export const UMAP_JS_VERSION = '1.4.0';

/** umap-js's version as installed, read once. */
let installedUmapJsVersion: string | undefined;
function umapJsVersion(): string {
  if (installedUmapJsVersion === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (require('umap-js/package.json') as { version?: unknown }).version;
    installedUmapJsVersion = typeof version === 'string' ? version : String(version);
  }
  return installedUmapJsVersion;
}

/** The private fields of a umap-js 1.4.0 `UMAP` that `umapLayoutFromModel` reads (set by `initializeFit`). */
interface UmapJsInternals {
  random: unknown;
  embedding: unknown;
  optimizationState: {
    head: unknown;
    tail: unknown;
    headEmbedding: unknown;
    tailEmbedding: unknown;
    epochsPerSample: unknown;
    epochOfNextSample: unknown;
    epochsPerNegativeSample: unknown;
    epochOfNextNegativeSample: unknown;
    moveOther: unknown;
    initialAlpha: unknown;
    alpha: unknown;
    gamma: unknown;
    a: unknown;
    b: unknown;
    dim: unknown;
    nEpochs: unknown;
    nVertices: unknown;
    currentEpoch: unknown;
  };
}

/**
 * umap-js's layout optimisation state in typed arrays: the embedding (`count` rows of `dimensions`,
 * moved in place), the graph's edges (`head`, `tail`) and their sampling schedules, the curve's `a`
 * and `b`, the repulsion strength `gamma`, the learning rate and the epoch, as umap-js's
 * `optimizationState` holds them. Internal: made by `umapLayoutFromModel`, advanced by
 * `optimizeUmapLayoutEpoch`.
 */
export interface UmapLayout {
  readonly count: number;
  readonly dimensions: number;
  /** `[count, dimensions]`, row-major; umap-js's head and tail embedding (one array when fitting). */
  readonly embedding: Float64Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly epochsPerSample: Float64Array;
  readonly epochOfNextSample: Float64Array;
  readonly epochsPerNegativeSample: Float64Array;
  readonly epochOfNextNegativeSample: Float64Array;
  readonly a: number;
  readonly b: number;
  readonly gamma: number;
  readonly initialAlpha: number;
  readonly nEpochs: number;
  /** The learning rate of the next epoch. */
  alpha: number;
  /** Epochs run so far. */
  currentEpoch: number;
  /** umap-js's random source, drawn from for the negative samples exactly as umap-js does. */
  readonly random: () => number;
  /** Tables for `fastPow` to the powers b and b - 1. */
  readonly powerB: PowerTable;
  readonly powerBMinus1: PowerTable;
}

function numberArray(value: unknown, length: number, what: string): number[] {
  if (!Array.isArray(value) || value.length !== length) throw new Error(`${what} is not an array of ${length} numbers`);
  for (let i = 0; i < length; i++) if (typeof value[i] !== 'number') throw new Error(`${what}[${i}] is ${String(value[i])}, not a number`);
  return value as number[];
}

function finiteNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${what} is ${String(value)}, not a finite number`);
  return value;
}

/**
 * Copies the layout optimisation state of a umap-js `UMAP` on which `initializeFit` has run (the
 * fuzzy graph, its edges' sampling schedules, the random start) into typed arrays, checking that
 * umap-js is the version whose private fields this reads and that they hold what is expected.
 * Internal; exported for the tests that compare `optimizeUmapLayoutEpoch` with umap-js's `step`.
 */
export function umapLayoutFromModel(model: UMAP): UmapLayout {
  const version = umapJsVersion();
  if (version !== UMAP_JS_VERSION) throw new Error(`umap: replearn's layout optimiser reads the internal state of umap-js ${UMAP_JS_VERSION}, but umap-js ${version} is installed; install umap-js@${UMAP_JS_VERSION}`);
  const fail = (what: string): never => {
    throw new Error(`umap: umap-js's internal optimisation state is not as expected for umap-js ${UMAP_JS_VERSION} (${what})`);
  };
  try {
    const internals = model as unknown as UmapJsInternals;
    const state = internals.optimizationState;
    if (state === null || typeof state !== 'object') fail('no optimizationState');
    const random = internals.random;
    if (typeof random !== 'function') fail('no random function');
    const rows = internals.embedding;
    if (!Array.isArray(rows) || rows.length === 0) fail('no embedding');
    if (state.headEmbedding !== rows || state.tailEmbedding !== rows) fail('the head and tail embeddings are not the model\'s embedding');
    if (state.moveOther !== true) fail(`moveOther is ${String(state.moveOther)}`);
    const count = (rows as unknown[]).length;
    const dimensions = finiteNumber(state.dim, 'dim');
    if (!Number.isSafeInteger(dimensions) || dimensions < 1) fail(`dim is ${dimensions}`);
    if (state.nVertices !== count) fail(`nVertices is ${String(state.nVertices)}, the embedding has ${count} rows`);
    const nEpochs = finiteNumber(state.nEpochs, 'nEpochs');
    if (!Number.isSafeInteger(nEpochs) || nEpochs < 1) fail(`nEpochs is ${nEpochs}`);
    const currentEpoch = finiteNumber(state.currentEpoch, 'currentEpoch');
    if (!Number.isSafeInteger(currentEpoch) || currentEpoch < 0) fail(`currentEpoch is ${currentEpoch}`);
    const embedding = new Float64Array(count * dimensions);
    for (let i = 0; i < count; i++) {
      const row = numberArray((rows as unknown[])[i], dimensions, `embedding[${i}]`);
      for (let d = 0; d < dimensions; d++) embedding[i * dimensions + d] = row[d];
    }
    const edges = Array.isArray(state.head) ? state.head.length : fail('head is not an array');
    const head = Int32Array.from(numberArray(state.head, edges, 'head'));
    const tail = Int32Array.from(numberArray(state.tail, edges, 'tail'));
    for (let i = 0; i < edges; i++) {
      if (head[i] !== (state.head as number[])[i] || head[i] < 0 || head[i] >= count) fail(`head[${i}] is ${(state.head as number[])[i]}`);
      if (tail[i] !== (state.tail as number[])[i] || tail[i] < 0 || tail[i] >= count) fail(`tail[${i}] is ${(state.tail as number[])[i]}`);
    }
    const a = finiteNumber(state.a, 'a');
    const b = finiteNumber(state.b, 'b');
    return {
      count,
      dimensions,
      embedding,
      head,
      tail,
      epochsPerSample: Float64Array.from(numberArray(state.epochsPerSample, edges, 'epochsPerSample')),
      epochOfNextSample: Float64Array.from(numberArray(state.epochOfNextSample, edges, 'epochOfNextSample')),
      epochsPerNegativeSample: Float64Array.from(numberArray(state.epochsPerNegativeSample, edges, 'epochsPerNegativeSample')),
      epochOfNextNegativeSample: Float64Array.from(numberArray(state.epochOfNextNegativeSample, edges, 'epochOfNextNegativeSample')),
      a,
      b,
      gamma: finiteNumber(state.gamma, 'gamma'),
      initialAlpha: finiteNumber(state.initialAlpha, 'initialAlpha'),
      nEpochs,
      alpha: finiteNumber(state.alpha, 'alpha'),
      currentEpoch,
      random: random as () => number,
      powerB: powerTable(b),
      powerBMinus1: powerTable(b - 1),
    };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('umap: ')) throw error;
    return fail(error instanceof Error ? error.message : String(error));
  }
}

const wordsF64 = new Float64Array(1);
const wordsI32 = new Int32Array(wordsF64.buffer);
/** MANTISSA_SCALE[f] = 2^(1023 - f): scales a double of biased exponent f (0 < f < 2047) into [1, 2), exactly. */
const MANTISSA_SCALE = new Float64Array(2048);
for (let f = 1; f < 2047; f++) MANTISSA_SCALE[f] = 2 ** (1023 - f);
/** 1 / c for the centres c = 1 + (i + 1/2) / 256 of the 256 intervals that the top 8 bits of a mantissa pick. */
const MANTISSA_INVERSE_CENTRE = new Float64Array(256);
for (let i = 0; i < 256; i++) MANTISSA_INVERSE_CENTRE[i] = 1 / (1 + (i + 0.5) / 256);

/** Tables for `fastPow(x, table)` = x^power (internal). */
export interface PowerTable {
  power: number;
  /** [f] = 2^(power (f - 1023)), f a biased exponent. */
  exponentPart: Float64Array;
  /** [i] = c^power, c the centre of mantissa interval i. */
  mantissaPart: Float64Array;
  /** power (power - 1) / 2: (1 + r)^power ~ 1 + r (power + r c2) for |r| <= 1/512. */
  c2: number;
}

/** The tables of `fastPow` for `power` (internal). */
export function powerTable(power: number): PowerTable {
  const exponentPart = new Float64Array(2048);
  for (let f = 1; f < 2047; f++) exponentPart[f] = 2 ** (power * (f - 1023));
  const mantissaPart = new Float64Array(256);
  for (let i = 0; i < 256; i++) mantissaPart[i] = (1 + (i + 0.5) / 256) ** power;
  return { power, exponentPart, mantissaPart, c2: (power * (power - 1)) / 2 };
}

/**
 * x^power for x > 0 by two table look-ups and a quadratic: x = 2^e c (1 + r), c the centre of the
 * interval that x's top 8 mantissa bits pick, |r| < 2^-9, so x^power = 2^(e power) c^power
 * (1 + r)^power. The relative error is about |power (power - 1) (power - 2)| / 6 * 2^-27 (under
 * 1e-8 for |power| <= 1.2; b and b - 1 from umap-js's curve fit lie well within). `Math.pow`, whose
 * result is nearly correctly rounded, costs several times as much, most of umap-js's optimisation.
 * Zero, subnormal and non-finite x go to `Math.pow`.
 */
export function fastPow(x: number, table: PowerTable): number {
  wordsF64[0] = x;
  const high = wordsI32[1];
  const f = high >>> 20;
  if (f === 0 || f >= 2047) return Math.pow(x, table.power);
  const i = (high >>> 12) & 0xff;
  const r = x * MANTISSA_SCALE[f] * MANTISSA_INVERSE_CENTRE[i] - 1;
  return table.exponentPart[f] * table.mantissaPart[i] * (1 + r * (table.power + r * table.c2));
}

/**
 * One epoch of UMAP's layout optimisation: umap-js 1.4.0's `optimizeLayoutStep` (as its `step`
 * calls it) on typed arrays, the same arithmetic in the same order and the same random draws. Each
 * edge due this epoch pulls its two ends together (gradient clipped to +-4, both ends moved) and
 * pushes its head away from randomly drawn points (negative samples; a point at the same place
 * pushes by 4 in every dimension, the head itself is skipped); then the learning rate decays
 * linearly. With `exact` the powers are `Math.pow`'s and the layout is umap-js's bit for bit; else
 * they come from `fastPow` (relative error under about 1e-8), several times faster. Does nothing
 * once `nEpochs` have run. Returns the epochs run so far.
 */
export function optimizeUmapLayoutEpoch(layout: UmapLayout, exact = false): number {
  const n = layout.currentEpoch;
  if (n >= layout.nEpochs) return n;
  const { embedding: e, dimensions: dim, head, tail, epochsPerSample, epochOfNextSample, epochsPerNegativeSample, epochOfNextNegativeSample, a, b, gamma, random } = layout;
  const nVertices = layout.count;
  const alpha = layout.alpha;
  const clipValue = 4.0;
  const clip = (g: number): number => (g > clipValue ? clipValue : g < -clipValue ? -clipValue : g);
  // umap-js: gradCoeff = -2.0 * a * b * pow(d2, b - 1), evaluated left to right, so (-2a)b first.
  const attraction = -2.0 * a * b;
  const bMinus1 = b - 1.0;
  // umap-js: gradCoeff = 2.0 * gamma * b, then divided.
  const repulsion = 2.0 * gamma * b;
  const edges = epochsPerSample.length;
  const tableB = layout.powerB;
  const tableBMinus1 = layout.powerBMinus1;
  // umap-js's attraction: gradCoeff = -2ab d^(2(b-1)) / (a d^(2b) + 1), for d^2 > 0.
  const attractionCoefficient = (distSquared: number): number => {
    if (!(distSquared > 0)) return 0;
    let gradCoeff: number;
    if (exact) {
      gradCoeff = attraction * Math.pow(distSquared, bMinus1);
      gradCoeff /= a * Math.pow(distSquared, b) + 1.0;
    } else {
      const powBMinus1 = fastPow(distSquared, tableBMinus1);
      gradCoeff = attraction * powBMinus1;
      gradCoeff /= a * (powBMinus1 * distSquared) + 1.0;
    }
    return gradCoeff;
  };
  // umap-js's repulsion divides 2 gamma b by this.
  const repulsionDenominator = (negDistSquared: number): number => (0.001 + negDistSquared) * (a * (exact ? Math.pow(negDistSquared, b) : fastPow(negDistSquared, tableB)) + 1);
  if (dim === 2) {
    // The same steps, written out for two dimensions, with the head's coordinates kept in locals
    // while its negative samples push it (a sample of the head itself is skipped, as in umap-js).
    for (let i = 0; i < edges; i++) {
      if (epochOfNextSample[i] > n) continue;
      const j = head[i];
      const k = tail[i];
      const current = j * 2;
      const other = k * 2;
      let dx = e[current] - e[other];
      let dy = e[current + 1] - e[other + 1];
      const distSquared = dx * dx + dy * dy;
      const gradCoeff = attractionCoefficient(distSquared);
      let gradD = clip(gradCoeff * dx);
      e[current] += gradD * alpha;
      e[other] += -gradD * alpha;
      gradD = clip(gradCoeff * dy);
      e[current + 1] += gradD * alpha;
      e[other + 1] += -gradD * alpha;
      epochOfNextSample[i] += epochsPerSample[i];
      const nNegSamples = Math.floor((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]);
      if (nNegSamples > 0) {
        let x = e[current];
        let y = e[current + 1];
        for (let p = 0; p < nNegSamples; p++) {
          const kNeg = Math.floor(random() * nVertices);
          if (kNeg === j) continue; // distance 0 to itself: umap-js skips it
          const negative = kNeg * 2;
          dx = x - e[negative];
          dy = y - e[negative + 1];
          const negDistSquared = dx * dx + dy * dy;
          if (negDistSquared > 0.0) {
            const negCoeff = repulsion / repulsionDenominator(negDistSquared);
            x += (negCoeff > 0.0 ? clip(negCoeff * dx) : 4.0) * alpha;
            y += (negCoeff > 0.0 ? clip(negCoeff * dy) : 4.0) * alpha;
          } else {
            // Another point at the same place: umap-js pushes by 4 in each dimension.
            x += 4.0 * alpha;
            y += 4.0 * alpha;
          }
        }
        e[current] = x;
        e[current + 1] = y;
      }
      epochOfNextNegativeSample[i] += nNegSamples * epochsPerNegativeSample[i];
    }
  } else {
    for (let i = 0; i < edges; i++) {
      if (epochOfNextSample[i] > n) continue;
      const j = head[i];
      const k = tail[i];
      const current = j * dim;
      const other = k * dim;
      let distSquared = 0.0;
      for (let d = 0; d < dim; d++) {
        const diff = e[current + d] - e[other + d];
        distSquared += diff * diff; // umap-js: Math.pow(diff, 2), which is diff * diff exactly
      }
      const gradCoeff = attractionCoefficient(distSquared);
      for (let d = 0; d < dim; d++) {
        const gradD = clip(gradCoeff * (e[current + d] - e[other + d]));
        e[current + d] += gradD * alpha;
        e[other + d] += -gradD * alpha;
      }
      epochOfNextSample[i] += epochsPerSample[i];
      const nNegSamples = Math.floor((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]);
      for (let p = 0; p < nNegSamples; p++) {
        const kNeg = Math.floor(random() * nVertices);
        const negative = kNeg * dim;
        let negDistSquared = 0.0;
        for (let d = 0; d < dim; d++) {
          const diff = e[current + d] - e[negative + d];
          negDistSquared += diff * diff;
        }
        if (!(negDistSquared > 0.0) && j === kNeg) continue;
        const negCoeff = negDistSquared > 0.0 ? repulsion / repulsionDenominator(negDistSquared) : 0.0;
        for (let d = 0; d < dim; d++) e[current + d] += (negCoeff > 0.0 ? clip(negCoeff * (e[current + d] - e[negative + d])) : 4.0) * alpha;
      }
      epochOfNextNegativeSample[i] += nNegSamples * epochsPerNegativeSample[i];
    }
  }
  layout.alpha = layout.initialAlpha * (1.0 - n / layout.nEpochs);
  layout.currentEpoch = n + 1;
  return layout.currentEpoch;
}

/**
 * UMAP (McInnes, Healy and Melville 2018) of `data` through umap-js, fed the exact k-nearest-
 * neighbour graph (`nearestNeighbours`, by matrix products on the active TF.js backend) in place of
 * umap-js's approximate NN-descent, and seeded from replearn's generator, so that the same seed
 * gives the same embedding. umap-js builds the fuzzy graph, the sampling schedule of its edges and
 * the random start; the layout is then optimised epoch by epoch, with a progress line, by
 * `optimizeUmapLayoutEpoch`: umap-js's optimisation step on typed arrays, several times faster
 * (see `UmapOptions.optimiser`).
 */
export async function umap(data: Embedding, options: UmapOptions): Promise<UmapResult> {
  checkEmbedding(data, 'umap: data');
  const n = data.count;
  const dim = data.latentDim;
  const neighbours = options.neighbours ?? 15;
  if (!Number.isSafeInteger(neighbours) || neighbours < 2) throw new Error(`umap: neighbours must be an integer >= 2 (the point itself and at least one other), got ${neighbours}`);
  if (n < 3) throw new Error(`umap: needs at least 3 points, got ${n}`);
  if (neighbours >= n) throw new Error(`umap: neighbours = ${neighbours} must be less than the ${n} points`);
  const dimensions = checkPositiveInt(options.dimensions ?? 2, 'dimensions');
  const minDist = options.minDist ?? 0.1;
  if (!(minDist >= 0)) throw new Error(`umap: minDist must be >= 0, got ${minDist}`);
  const spread = options.spread ?? 1;
  if (!(spread > 0)) throw new Error(`umap: spread must be > 0, got ${spread}`);
  if (minDist > spread) throw new Error(`umap: minDist = ${minDist} must not exceed spread = ${spread}`);
  if (options.epochs !== undefined) checkPositiveInt(options.epochs, 'epochs');
  const optimiser = options.optimiser ?? 'fast';
  if (optimiser !== 'fast' && optimiser !== 'exact' && optimiser !== 'umap-js') throw new Error(`umap: optimiser must be "fast", "exact" or "umap-js", got ${String(optimiser)}`);
  const random = new Random(options.seed);
  checkFinite(data.z, 'umap: data', (i) => `umap: data value ${i} (point ${Math.floor(i / dim)})`);

  const started = performance.now();
  const progress = options.progress === false ? undefined : new ProgressLine({ minIntervalMs: 200 });
  let graph = options.neighbourGraph;
  let knnSeconds = 0;
  if (graph === undefined) {
    progress?.update(`UMAP of ${n} points: exact ${neighbours - 1}-nearest neighbours`);
    graph = await nearestNeighbours(data, data, neighbours - 1, { excludeSelf: true });
    knnSeconds = (performance.now() - started) / 1000;
  } else {
    checkGraph(graph, n, neighbours);
  }
  const { indices, distances } = umapNeighbourRows(graph);
  // Given the neighbour graph, umap-js's initializeFit reads only the number of rows of its data
  // (for the sparse matrices' shape): it gets n empty slots, not copies of the points.
  const rows: number[][] = new Array<number[]>(n);

  const model = new UMAP({
    nComponents: dimensions,
    nNeighbors: neighbours,
    minDist,
    spread,
    nEpochs: options.epochs,
    random: () => random.next(),
  });
  model.setPrecomputedKNN(indices, distances);
  progress?.update(`UMAP of ${n} points: fuzzy graph`);
  const epochs = model.initializeFit(rows);
  const layout = optimiser === 'umap-js' ? undefined : umapLayoutFromModel(model);
  if (layout !== undefined && (layout.nEpochs !== epochs || layout.currentEpoch !== 0 || layout.count !== n || layout.dimensions !== dimensions)) throw new Error(`umap: umap-js's optimisation state (${layout.count} x ${layout.dimensions}, epoch ${layout.currentEpoch} of ${layout.nEpochs}) does not match the fit (${n} x ${dimensions}, ${epochs} epochs)`);
  const exact = optimiser === 'exact';
  const yielder = new EventLoopYielder(200);
  for (let epoch = 0; epoch < epochs; ) {
    const next = layout === undefined ? model.step() : optimizeUmapLayoutEpoch(layout, exact);
    if (next <= epoch) throw new Error(`umap: the layout optimisation stopped at epoch ${next} of ${epochs}`);
    epoch = next;
    // The progress line shows at most one update in 200 ms; the event loop gets a turn as often.
    progress?.update(`UMAP of ${n} points: epoch ${epoch} of ${epochs}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await yielder.maybeYield();
  }
  let z: Float32Array;
  if (layout !== undefined) {
    z = Float32Array.from(layout.embedding);
  } else {
    const rowsOut = model.getEmbedding();
    z = new Float32Array(n * dimensions);
    for (let i = 0; i < n; i++) for (let d = 0; d < dimensions; d++) z[i * dimensions + d] = rowsOut[i][d];
  }
  const seconds = (performance.now() - started) / 1000;
  progress?.done(`UMAP of ${n} points: ${epochs} epochs in ${seconds.toFixed(1)} s (exact neighbours ${knnSeconds.toFixed(1)} s)`);
  return { embedding: { z, count: n, latentDim: dimensions }, seconds, epochs, knnSeconds };
}
