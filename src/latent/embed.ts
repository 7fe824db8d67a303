import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { batches } from '../data/batches';

/** Anything with a deterministic `embed`: `[batch, ...featureShape]` to `[batch, latentDim]`. */
export interface Embedder {
  embed(x: tf.Tensor): tf.Tensor2D;
}

/** Codes of a whole dataset, row-major `[count, latentDim]`. */
export interface Embedding {
  readonly z: Float32Array;
  readonly count: number;
  readonly latentDim: number;
}

/**
 * Throws unless `e.z` holds `e.count` x `e.latentDim` values (`count` at least 1 unless `allowEmpty`),
 * naming `what` in the message.
 */
export function checkEmbedding(e: Embedding, what: string, options: { allowEmpty?: boolean } = {}): void {
  const least = options.allowEmpty === true ? 0 : 1;
  if (!Number.isSafeInteger(e.count) || e.count < least || !Number.isSafeInteger(e.latentDim) || e.latentDim <= 0 || e.z.length !== e.count * e.latentDim) {
    throw new Error(`${what}: expected ${e.count} x ${e.latentDim} values, got ${e.z.length}`);
  }
}

/** Embeds `dataset` batch by batch (default 1024 per batch) and returns the codes on the host. */
export async function embedDataset(model: Embedder, dataset: Dataset, options: { batchSize?: number } = {}): Promise<Embedding> {
  const parts: Float32Array[] = [];
  let latentDim = 0;
  for (const hb of batches(dataset, { batchSize: options.batchSize ?? 1024, shuffle: false })) {
    const z = tf.tidy(() => model.embed(tf.tensor(hb.x, [hb.size, ...dataset.featureShape])));
    latentDim = z.shape[1];
    parts.push((await z.data()) as Float32Array);
    z.dispose();
  }
  const z = new Float32Array(dataset.count * latentDim);
  let at = 0;
  for (const p of parts) {
    z.set(p, at);
    at += p.length;
  }
  return { z, count: dataset.count, latentDim };
}

/** The column `d` of an embedding, e.g. for the x axis of a scatter plot. */
export function embeddingColumn(embedding: Embedding, d: number): Float32Array {
  if (!Number.isInteger(d) || d < 0 || d >= embedding.latentDim) throw new Error(`column ${d} outside 0..${embedding.latentDim - 1}`);
  const out = new Float32Array(embedding.count);
  for (let i = 0; i < embedding.count; i++) out[i] = embedding.z[i * embedding.latentDim + d];
  return out;
}

/** Rows `start` to `end - 1` of an embedding, sharing its memory (no copy). */
export function sliceEmbedding(embedding: Embedding, start: number, end: number): Embedding {
  checkEmbedding(embedding, 'sliceEmbedding');
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > embedding.count || start >= end) {
    throw new Error(`sliceEmbedding: rows ${start} to ${end} of ${embedding.count}`);
  }
  const d = embedding.latentDim;
  return { z: embedding.z.subarray(start * d, end * d), count: end - start, latentDim: d };
}
