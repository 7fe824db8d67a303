// Seeded tabular binary-classification tasks for the tree tests and the tree bench
// (scripts/bench-trees.mjs writes them with write-mixed-tabular.ts). `mixedTabular`: continuous,
// skewed, binary and small-integer columns, labels drawn from a known logistic function of the
// first ten with interactions and curvature; columns past the tenth are noise. `discreteTabular`:
// small-integer columns only, so that every value gets a bin of its own in replearn and in LightGBM
// alike and the two learners see identical bins.
import { Random } from '../../src/core/random';

/** A row-major float32 table with 0/1 labels: `{ x, labels, rows, cols }`. */
export interface MixedTabular {
  x: Float32Array;
  labels: Uint8Array;
  rows: number;
  cols: number;
}

/** Column f's kind cycles through normal, uniform, binary, integer 0..4 and log-normal. */
function drawValue(random: Random, f: number): number {
  switch (f % 5) {
    case 0:
      return random.normal();
    case 1:
      return random.next();
    case 2:
      return random.next() < 0.3 + 0.1 * (f % 3) ? 1 : 0;
    case 3:
      return random.int(5);
    default:
      return Math.exp(0.75 * random.normal());
  }
}

/** The true log-odds of label 1 given a row's first ten values. */
export function mixedTabularLogit(v: ArrayLike<number>, offset: number): number {
  const x = (j: number): number => v[offset + j];
  return (
    -0.5 +
    x(0) +
    2 * (x(1) - 0.5) +
    x(2) -
    0.4 * x(3) +
    0.8 * Math.log(x(4)) +
    0.8 * x(0) * x(2) -
    0.7 * (x(5) * x(5) - 1) +
    1.5 * Math.sin(3 * x(6)) +
    0.8 * x(7) * (x(8) >= 2 ? 1 : -1) +
    0.3 * Math.min(x(9), 3)
  );
}

/** `rows` seeded rows of `cols` (at least 10) mixed columns with labels drawn from `mixedTabularLogit`. */
export function mixedTabular(rows: number, cols: number, seed: number): MixedTabular {
  if (cols < 10) throw new Error(`mixedTabular: cols must be at least 10, got ${cols}`);
  const random = new Random(seed);
  const x = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < cols; f++) x[r * cols + f] = drawValue(random, f);
    const p = 1 / (1 + Math.exp(-mixedTabularLogit(x, r * cols)));
    labels[r] = random.next() < p ? 1 : 0;
  }
  return { x, labels, rows, cols };
}

/** `rows` seeded rows of `cols` (at least 5) integer columns, column f uniform on 0..4(f mod 5)+3, with labels from a logistic function of the first five. */
export function discreteTabular(rows: number, cols: number, seed: number): MixedTabular {
  if (cols < 5) throw new Error(`discreteTabular: cols must be at least 5, got ${cols}`);
  const random = new Random(seed);
  const x = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let f = 0; f < cols; f++) x[o + f] = random.int(4 * (f % 5) + 4);
    const logit = 0.6 * (x[o] - 1.5) + 0.8 * Math.sin(x[o + 1]) - 0.15 * (x[o + 2] - 6) + (x[o + 3] % 2 === 0 ? 0.7 : -0.7) + 0.05 * x[o + 4] * (x[o] > 1 ? 1 : -1);
    labels[r] = random.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { x, labels, rows, cols };
}
