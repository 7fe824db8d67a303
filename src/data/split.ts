import { Random } from '../core/random';
import type { Dataset } from './dataset';
import { featureSize, subset } from './dataset';

/** Fractions of a three-way split; each must be positive and together they must sum to 1. */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** Options of `splitDataset`. */
export interface SplitOptions {
  fractions: SplitFractions;
  seed: number;
  /** Keep each class's share the same in every split (needs labels). Default false. */
  stratify?: boolean;
}

/** Three disjoint parts of one dataset. */
export interface DatasetSplits {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}

const names = ['train', 'validation', 'test'] as const;

/** Positions of the examples of each part of a three-way split. */
export interface SplitIndices {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * The positions (in `0..count-1`) of a seeded three-way split by `fractions`: disjoint, together
 * covering every example. With `stratify`, each class of `labels` is split on its own so that class
 * shares match. Fractions that do not sum to 1 or that leave a part empty are an error.
 */
export function splitIndices(count: number, options: SplitOptions & { labels?: ArrayLike<number> }): SplitIndices {
  const f = options.fractions;
  for (const name of names) {
    const v = f[name];
    if (!Number.isFinite(v) || v <= 0 || v >= 1) throw new Error(`fractions.${name} must be in (0, 1), got ${v}`);
  }
  const sum = f.train + f.validation + f.test;
  if (Math.abs(sum - 1) > 1e-9) {
    throw new Error(`fractions must sum to 1, got ${f.train} + ${f.validation} + ${f.test} = ${sum}`);
  }
  const random = new Random(options.seed);
  const parts: number[][] = [[], [], []];
  if (options.stratify === true) {
    const labels = options.labels;
    if (labels === undefined) throw new Error('stratify: true needs a dataset with labels');
    if (labels.length !== count) throw new Error(`stratify: ${labels.length} labels for ${count} examples`);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const list = byClass.get(labels[i]) ?? [];
      list.push(i);
      byClass.set(labels[i], list);
    }
    for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
      const members = random.shuffle(byClass.get(label) ?? []);
      const counts = partCounts(members.length, f);
      let start = 0;
      counts.forEach((c, p) => {
        parts[p].push(...members.slice(start, start + c));
        start += c;
      });
    }
    for (const part of parts) random.shuffle(part);
  } else {
    const order = random.permutation(count);
    const counts = partCounts(count, f);
    let start = 0;
    counts.forEach((c, p) => {
      parts[p] = Array.from(order.subarray(start, start + c));
      start += c;
    });
  }
  parts.forEach((part, p) => {
    if (part.length === 0) {
      throw new Error(`fractions.${names[p]} = ${f[names[p]]} leaves the ${names[p]} split empty (${count} examples)`);
    }
  });
  return { train: Int32Array.from(parts[0]), validation: Int32Array.from(parts[1]), test: Int32Array.from(parts[2]) };
}

/**
 * Splits `dataset` into disjoint train, validation and test parts by `fractions` (8:1:1 is
 * `{ train: 0.8, validation: 0.1, test: 0.1 }`) after a seeded shuffle; with `stratify`, each class
 * is split on its own so that class shares match (see `splitIndices`).
 */
export function splitDataset(dataset: Dataset, options: SplitOptions): DatasetSplits {
  const parts = splitIndices(dataset.count, { ...options, labels: dataset.labels });
  return { train: subset(dataset, parts.train), validation: subset(dataset, parts.validation), test: subset(dataset, parts.test) };
}

/**
 * How many examples of `b` also occur in `a`, bit for bit: a leak check between splits (a
 * duplicate in train and test turns the test score into a memory test). Hashes each example's
 * bytes, then compares the candidates with the same hash in full.
 */
export function countSharedExamples(a: Pick<Dataset, 'x' | 'count' | 'featureShape'>, b: Pick<Dataset, 'x' | 'count' | 'featureShape'>): number {
  const size = featureSize(a);
  if (featureSize(b) !== size) throw new Error(`countSharedExamples: examples of ${size} and ${featureSize(b)} values cannot be compared`);
  const bitsOf = (x: Float32Array, i: number) => new Uint32Array(x.buffer, x.byteOffset + i * size * 4, size);
  const hashOf = (x: Float32Array, i: number) => {
    const bytes = bitsOf(x, i);
    let h = 0x811c9dc5;
    for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
    return h >>> 0;
  };
  const byHash = new Map<number, number[]>();
  for (let i = 0; i < a.count; i++) {
    const h = hashOf(a.x, i);
    const list = byHash.get(h) ?? [];
    list.push(i);
    byHash.set(h, list);
  }
  let shared = 0;
  for (let j = 0; j < b.count; j++) {
    const candidates = byHash.get(hashOf(b.x, j)) ?? [];
    const mine = bitsOf(b.x, j);
    const same = candidates.some((i) => {
      const theirs = bitsOf(a.x, i);
      for (let k = 0; k < size; k++) if (theirs[k] !== mine[k]) return false;
      return true;
    });
    if (same) shared += 1;
  }
  return shared;
}

/** Sizes of the three parts of `n` items: floors, then the leftovers to the largest remainders. */
function partCounts(n: number, f: SplitFractions): number[] {
  const exact = names.map((name) => n * f[name]);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = [0, 1, 2].sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const p of byRemainder) {
    if (left === 0) break;
    counts[p] += 1;
    left -= 1;
  }
  return counts;
}
