import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import type { Dataset } from './dataset';
import { featureSize } from './dataset';

/** One batch on the host: `x` is `[size, ...featureShape]`, `labels` `[size]` when the dataset has them. */
export interface HostBatch {
  readonly x: Float32Array;
  readonly labels?: Int32Array;
  readonly size: number;
  /** Position of the batch within its epoch, from 0. */
  readonly index: number;
}

/** Options of `batches`. */
export interface BatchOptions {
  batchSize: number;
  /** Shuffle before batching. Default true. */
  shuffle?: boolean;
  /** Seed of the run; the order of an epoch depends only on `(seed, epoch)`. Needed when shuffling. */
  seed?: number;
  /** Epoch number (from 1); each epoch gets its own order. Default 1. */
  epoch?: number;
  /** Drop a last batch smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
}

/** Number of batches `batches` yields for `count` examples. */
export function batchCount(count: number, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * The order in which an epoch visits the examples: a permutation that depends only on
 * `(seed, epoch)`, so a resumed run sees the same batches as an uninterrupted one.
 */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return new Random(mixSeed(seed, epoch)).permutation(count);
}

/** Where one batch's examples sit in the dataset: `positions` in shuffled order, or the run `start..start+size-1` when not shuffled. */
export interface BatchPlan {
  readonly positions?: Int32Array;
  readonly start: number;
  readonly size: number;
  readonly index: number;
}

/**
 * The batches of one epoch over `count` examples as positions, without touching any data: what
 * `batches` (in memory) and `FileDataset.batches` (on disk) both follow, so that they agree.
 */
export function* batchPlans(count: number, options: BatchOptions): Generator<BatchPlan> {
  const { batchSize } = options;
  checkPositiveInt(batchSize, 'batchSize');
  const shuffle = options.shuffle ?? true;
  if (shuffle && options.seed === undefined) throw new Error('batches: shuffle needs a seed');
  const order = shuffle ? epochOrder(count, options.seed ?? 0, options.epoch ?? 1) : undefined;
  const total = batchCount(count, batchSize, options.dropRemainder ?? false);
  for (let b = 0; b < total; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, count - start);
    yield { positions: order?.subarray(start, start + size), start, size, index: b };
  }
}

/** Yields the dataset in batches, reshuffled each epoch from `(seed, epoch)` (values are copied). */
export function* batches(dataset: Dataset, options: BatchOptions): Generator<HostBatch> {
  const size = featureSize(dataset);
  for (const { positions, start, size: n, index } of batchPlans(dataset.count, options)) {
    if (positions === undefined) {
      yield {
        x: dataset.x.subarray(start * size, (start + n) * size),
        labels: dataset.labels?.subarray(start, start + n),
        size: n,
        index,
      };
      continue;
    }
    const x = new Float32Array(n * size);
    const labels = dataset.labels === undefined ? undefined : new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = positions[i];
      x.set(dataset.x.subarray(j * size, (j + 1) * size), i * size);
      if (labels !== undefined && dataset.labels !== undefined) labels[i] = dataset.labels[j];
    }
    yield { x, labels, size: n, index };
  }
}
