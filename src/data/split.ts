import { Random } from '../core/random';
import type { Dataset } from './dataset';
import { subset } from './dataset';

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

/**
 * Splits `dataset` into disjoint train, validation and test parts by `fractions` (8:1:1 is
 * `{ train: 0.8, validation: 0.1, test: 0.1 }`) after a seeded shuffle; with `stratify`, each class
 * is split on its own so that class shares match. Fractions that do not sum to 1 or that leave a
 * part empty are an error.
 */
export function splitDataset(dataset: Dataset, options: SplitOptions): DatasetSplits {
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
    if (dataset.labels === undefined) throw new Error('stratify: true needs a dataset with labels');
    const byClass = new Map<number, number[]>();
    dataset.labels.forEach((label, i) => {
      const list = byClass.get(label) ?? [];
      list.push(i);
      byClass.set(label, list);
    });
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
    const order = random.permutation(dataset.count);
    const counts = partCounts(dataset.count, f);
    let start = 0;
    counts.forEach((c, p) => {
      parts[p] = Array.from(order.subarray(start, start + c));
      start += c;
    });
  }
  parts.forEach((part, p) => {
    if (part.length === 0) {
      throw new Error(`fractions.${names[p]} = ${f[names[p]]} leaves the ${names[p]} split empty (${dataset.count} examples)`);
    }
  });
  return { train: subset(dataset, parts[0]), validation: subset(dataset, parts[1]), test: subset(dataset, parts[2]) };
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
