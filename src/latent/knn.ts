import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { checkEmbedding } from './embed';
import type { Embedding } from './embed';

/** The `k` nearest reference points of each query point, nearest first. */
export interface Neighbours {
  /** `[queries, k]` row-major: positions in the reference set. */
  readonly indices: Int32Array;
  /** `[queries, k]`: squared Euclidean distances, matching `indices`. */
  readonly distances: Float32Array;
  readonly count: number;
  readonly k: number;
}

/** Options of `nearestNeighbours`. */
export interface NeighbourOptions {
  /**
   * Query points per block: each block computes a `[block, references]` distance matrix, so memory
   * stays bounded. Default: as many as keep that matrix near 16 M values (64 MB).
   */
  blockSize?: number;
  /**
   * The query set is the reference set: leave each point out of its own neighbours (point i is
   * dropped from row i wherever it appears). Default false.
   */
  excludeSelf?: boolean;
}

/**
 * Squared Euclidean distances of every query point to every reference point, `blockSize` queries at
 * a time, by matrix products: ||q - r||^2 = ||q||^2 - 2 q . r + ||r||^2 (the reference matrix is
 * transposed once, not in every product; TF.js wasm's product with a transposed operand is many
 * times slower), clamped at 0 against rounding. `each` gets the `[size, references]` block of
 * queries `start..start+size-1`; the block is disposed when it returns. Default block: as many
 * queries as keep the block near 16 M values (64 MB), so memory stays bounded.
 */
export async function forEachDistanceBlock(
  query: Embedding,
  reference: Embedding,
  each: (squared: tf.Tensor2D, start: number, size: number) => Promise<void> | void,
  blockSize?: number,
): Promise<void> {
  if (query.latentDim !== reference.latentDim) throw new Error(`distances: query has ${query.latentDim} dimensions, reference ${reference.latentDim}`);
  const dim = query.latentDim;
  const block = blockSize ?? Math.max(1, Math.floor((1 << 24) / Math.max(1, reference.count)));
  checkPositiveInt(block, 'blockSize');
  const [referenceT, referenceNorms] = tf.tidy(() => {
    const r = tf.tensor2d(reference.z, [reference.count, dim]);
    return [r.transpose(), r.square().sum(1).expandDims(0)];
  });
  try {
    for (let start = 0; start < query.count; start += block) {
      const size = Math.min(block, query.count - start);
      const squared = tf.tidy(() => {
        const q = tf.tensor2d(query.z.subarray(start * dim, (start + size) * dim), [size, dim]);
        return q.square().sum(1).expandDims(1).add(referenceNorms).sub(q.matMul(referenceT).mul(2)).relu() as tf.Tensor2D;
      });
      try {
        await each(squared, start, size);
      } finally {
        squared.dispose();
      }
    }
  } finally {
    tf.dispose([referenceT, referenceNorms]);
  }
}

/**
 * Exact k-nearest neighbours in Euclidean distance by matrix products:
 * ||q - r||^2 = ||q||^2 - 2 q . r + ||r||^2, computed for a block of queries against every reference
 * point at once (the reference matrix is transposed once, not in every product), then the k
 * smallest per row. Distances are clamped at 0 against rounding.
 */
export async function nearestNeighbours(query: Embedding, reference: Embedding, k: number, options: NeighbourOptions = {}): Promise<Neighbours> {
  checkEmbedding(query, 'nearestNeighbours: query', { allowEmpty: true });
  checkEmbedding(reference, 'nearestNeighbours: reference', { allowEmpty: true });
  checkPositiveInt(k, 'k');
  if (query.latentDim !== reference.latentDim) throw new Error(`nearestNeighbours: query has ${query.latentDim} dimensions, reference ${reference.latentDim}`);
  const excludeSelf = options.excludeSelf === true;
  if (excludeSelf && query.count !== reference.count) throw new Error(`nearestNeighbours: excludeSelf needs the query to be the reference set (${query.count} against ${reference.count} points)`);
  const available = reference.count - (excludeSelf ? 1 : 0);
  if (k > available) throw new Error(`nearestNeighbours: k = ${k}, but only ${available} reference points can be neighbours`);
  const wanted = excludeSelf ? k + 1 : k;
  const indices = new Int32Array(query.count * k);
  const distances = new Float32Array(query.count * k);
  await forEachDistanceBlock(
    query,
    reference,
    async (squared, start, size) => {
      const [values, positions] = tf.tidy(() => {
        const { values, indices } = tf.topk(squared.neg(), wanted, true);
        return [values, indices];
      });
      const v = (await values.data()) as Float32Array;
      const p = (await positions.data()) as Int32Array;
      tf.dispose([values, positions]);
      for (let row = 0; row < size; row++) {
        const self = start + row;
        let out = 0;
        for (let j = 0; j < wanted && out < k; j++) {
          const index = p[row * wanted + j];
          if (excludeSelf && index === self) continue;
          indices[self * k + out] = index;
          distances[self * k + out] = -v[row * wanted + j];
          out++;
        }
      }
    },
    options.blockSize,
  );
  return { indices, distances, count: query.count, k };
}

/**
 * Discrete codes (`count` rows of `positions` indices in 0..K-1) as one-hot vectors of length
 * positions x K: the squared Euclidean distance of two of them is twice the Hamming distance of the
 * codes (the number of positions where they differ), so `nearestNeighbours` on this embedding
 * finds the nearest codes in Hamming distance.
 */
export function oneHotCodes(indices: ArrayLike<number>, count: number, positions: number, codebookSize: number): Embedding {
  checkPositiveInt(positions, 'positions');
  checkPositiveInt(codebookSize, 'codebookSize');
  if (!Number.isSafeInteger(count) || count < 0 || indices.length !== count * positions) throw new Error(`oneHotCodes: expected ${count} x ${positions} indices, got ${indices.length}`);
  const latentDim = positions * codebookSize;
  const z = new Float32Array(count * latentDim);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < positions; p++) {
      const k = indices[i * positions + p];
      if (!Number.isInteger(k) || k < 0 || k >= codebookSize) throw new Error(`oneHotCodes: code ${i}, position ${p} is ${k}, expected 0..${codebookSize - 1}`);
      z[i * latentDim + p * codebookSize + k] = 1;
    }
  }
  return { z, count, latentDim };
}

/**
 * k-nearest-neighbour votes: each query gets the label most common among its neighbours. A tie goes
 * to the tied label whose first neighbour is nearest (`ties: 'nearest'`, the default) or to the
 * smallest tied label (`'smallest'`, as scikit-learn's `KNeighborsClassifier` does).
 */
export function neighbourVote(neighbours: Neighbours, referenceLabels: ArrayLike<number>, options: { ties?: 'nearest' | 'smallest' } = {}): Int32Array {
  const ties = options.ties ?? 'nearest';
  if (ties !== 'nearest' && ties !== 'smallest') throw new Error(`neighbourVote: ties must be "nearest" or "smallest", got "${String(ties)}"`);
  const { k, count } = neighbours;
  const out = new Int32Array(count);
  const votes = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    votes.clear();
    let most = 0;
    for (let j = 0; j < k; j++) {
      const index = neighbours.indices[i * k + j];
      if (index < 0 || index >= referenceLabels.length) throw new Error(`neighbourVote: neighbour ${index} has no label (${referenceLabels.length} labels)`);
      const n = (votes.get(referenceLabels[index]) ?? 0) + 1;
      votes.set(referenceLabels[index], n);
      most = Math.max(most, n);
    }
    let best = -1;
    if (ties === 'smallest') {
      best = Infinity;
      for (const [label, n] of votes) if (n === most && label < best) best = label;
    } else {
      // The first label in neighbour order (nearest first) with the most votes.
      for (let j = 0; j < k && best < 0; j++) {
        const label = referenceLabels[neighbours.indices[i * k + j]];
        if (votes.get(label) === most) best = label;
      }
    }
    out[i] = best;
  }
  return out;
}
