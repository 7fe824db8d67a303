import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';

/**
 * A dataset held on the host: `x` is `[count, ...featureShape]` in row-major order, `labels` (when
 * present) one integer class per example in `0..classCount-1`.
 */
export interface Dataset {
  readonly x: Float32Array;
  readonly featureShape: readonly number[];
  readonly count: number;
  readonly labels?: Int32Array;
  readonly classCount?: number;
}

/** The number of values in one example: the product of `featureShape`. */
export function featureSize(dataset: Pick<Dataset, 'featureShape'>): number {
  return dataset.featureShape.reduce((a, b) => a * b, 1);
}

/** Arguments of `makeDataset`. */
export interface DatasetArgs {
  x: Float32Array;
  featureShape: readonly number[];
  labels?: Int32Array;
  /** Number of classes; defaults to the largest label plus one. */
  classCount?: number;
}

/**
 * Checks and wraps arrays as a `Dataset`: `x.length` must be a multiple of the feature size, there
 * must be one label per example, and each label must lie in `0..classCount-1`.
 */
export function makeDataset(args: DatasetArgs): Dataset {
  const { x, featureShape, labels } = args;
  if (featureShape.length === 0 || featureShape.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
    throw new Error(`featureShape must be positive integers, got [${featureShape.join(', ')}]`);
  }
  const size = featureShape.reduce((a, b) => a * b, 1);
  if (x.length % size !== 0) {
    throw new Error(`x has ${x.length} values, not a multiple of the feature size ${size} ([${featureShape.join(', ')}])`);
  }
  const count = x.length / size;
  let classCount = args.classCount;
  if (labels !== undefined) {
    if (labels.length !== count) throw new Error(`labels has ${labels.length} entries, expected one per example (${count})`);
    let max = -1;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0) throw new Error(`labels[${i}] = ${labels[i]}, expected a class index >= 0`);
      if (labels[i] > max) max = labels[i];
    }
    classCount ??= max + 1;
    if (max >= classCount) throw new Error(`labels contain class ${max}, expected classes 0..${classCount - 1} (classCount ${classCount})`);
  } else if (classCount !== undefined) {
    throw new Error('classCount was given without labels');
  }
  return { x, featureShape: [...featureShape], count, labels, classCount };
}

/** The examples at `indices`, in that order, as a new dataset (values are copied). */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const size = featureSize(dataset);
  const x = new Float32Array(indices.length * size);
  const labels = dataset.labels === undefined ? undefined : new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= dataset.count) throw new Error(`subset: index ${j} outside 0..${dataset.count - 1}`);
    x.set(dataset.x.subarray(j * size, (j + 1) * size), i * size);
    if (labels !== undefined && dataset.labels !== undefined) labels[i] = dataset.labels[j];
  }
  return { x, featureShape: dataset.featureShape, count: indices.length, labels, classCount: dataset.classCount };
}

/** The first `count` examples (all of them when `count` is larger). */
export function take(dataset: Dataset, count: number): Dataset {
  checkPositiveInt(count, 'take: count');
  const n = Math.min(count, dataset.count);
  const size = featureSize(dataset);
  return {
    x: dataset.x.subarray(0, n * size),
    featureShape: dataset.featureShape,
    count: n,
    labels: dataset.labels?.subarray(0, n),
    classCount: dataset.classCount,
  };
}

/** The inputs as one tensor `[count, ...featureShape]` (the caller disposes it). */
export function toTensor(dataset: Dataset): tf.Tensor {
  return tf.tensor(dataset.x, [dataset.count, ...dataset.featureShape], 'float32');
}

/** The labels as an int32 tensor `[count]`; a dataset without labels is an error. */
export function labelsTensor(dataset: Dataset): tf.Tensor1D {
  if (dataset.labels === undefined) throw new Error('the dataset has no labels');
  return tf.tensor1d(dataset.labels, 'int32');
}
