import { UMAP } from 'umap-js';
import { checkPositiveInt } from '../core/assert';
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

/** Yields to the event loop, so that a notebook can show the progress line. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * UMAP (McInnes, Healy and Melville 2018) of `data` through umap-js, fed the exact k-nearest-
 * neighbour graph (`nearestNeighbours`, by matrix products on the active TF.js backend) in place of
 * umap-js's approximate NN-descent, and seeded from replearn's generator, so that the same seed
 * gives the same embedding. The layout is optimised epoch by epoch with a progress line.
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
  const random = new Random(options.seed);
  for (let i = 0; i < data.z.length; i++) if (!Number.isFinite(data.z[i])) throw new Error(`umap: data value ${i} (point ${Math.floor(i / dim)}) is ${data.z[i]}`);

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
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(data.z.subarray(i * dim, (i + 1) * dim));

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
  let lastYield = performance.now();
  for (let epoch = 0; epoch < epochs; ) {
    epoch = model.step();
    const now = performance.now();
    if (now - lastYield >= 200) {
      progress?.update(`UMAP of ${n} points: epoch ${epoch} of ${epochs}, ${((now - started) / 1000).toFixed(1)} s`);
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  const layout = model.getEmbedding();
  const z = new Float32Array(n * dimensions);
  for (let i = 0; i < n; i++) for (let d = 0; d < dimensions; d++) z[i * dimensions + d] = layout[i][d];
  const seconds = (performance.now() - started) / 1000;
  progress?.done(`UMAP of ${n} points: ${epochs} epochs in ${seconds.toFixed(1)} s (exact neighbours ${knnSeconds.toFixed(1)} s)`);
  return { embedding: { z, count: n, latentDim: dimensions }, seconds, epochs, knnSeconds };
}
