// The lecture's tabular example made reproducible: rows of six columns, 1, 2, 3 and 5 binary, 4 and
// 6 continuous in (0, 1) (its example rows: [1,0,1,0.56,1,0.3], [1,0,0,0.32,0,0.9], ...), drawn
// from a known distribution with a binary label whose probability given the row is known exactly.
// Because P(y = 1 | x) is known, so is the best AUC any classifier can reach on such rows (that of
// P(y = 1 | x) itself), and any row, real or synthetic, can be asked how likely its label is.
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import type { ColumnSpec, MixedTable } from './columns';
import { checkValues } from './columns';

/** The six columns of `mixedRows`, in the lecture's order. */
export const mixedRowColumns: readonly ColumnSpec[] = [
  { name: 'b1', kind: 'binary' },
  { name: 'b2', kind: 'binary' },
  { name: 'b3', kind: 'binary' },
  { name: 'c4', kind: 'continuous' },
  { name: 'b5', kind: 'binary' },
  { name: 'c6', kind: 'continuous' },
];

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * The log-odds of label 1 given a row of the six columns (`x[offset..offset + 5]`): additive terms,
 * an interaction of b3 and b5, and a bump in c6 that no straight line through c6 can follow.
 */
export function mixedRowLogit(x: ArrayLike<number>, offset = 0): number {
  const [b1, b2, b3, c4, b5, c6] = [x[offset], x[offset + 1], x[offset + 2], x[offset + 3], x[offset + 4], x[offset + 5]];
  return -1.5 - 0.6 * b1 + 1.2 * b2 + 2.4 * (c4 - 0.5) + 1.6 * b3 * b5 - 0.5 * b5 + 2.2 * Math.exp(-((c6 - 0.5) ** 2) / 0.02);
}

/** P(label 1 | row) for a row of the six columns (`x[offset..offset + 5]`), exactly. */
export function mixedRowProbability(x: ArrayLike<number>, offset = 0): number {
  return sigmoid(mixedRowLogit(x, offset));
}

/** Options of `mixedRows`. */
export interface MixedRowsOptions {
  rows: number;
  seed: number;
}

/**
 * `rows` seeded rows of the lecture's six columns with labels drawn from `mixedRowProbability`,
 * and that probability for each row. The columns are correlated through one shared normal latent
 * u: b1, b2 and b3 are Bernoulli with log-odds linear in u, c4 and c6 the logistic of u plus
 * noise, b5 depends on c4. Shapes: `table.x` `[rows, 6]` row-major; `probabilities` `[rows]`.
 */
export function mixedRows(options: MixedRowsOptions): { table: MixedTable; probabilities: Float64Array } {
  const rows = checkPositiveInt(options.rows, 'mixedRows: rows');
  if (!Number.isSafeInteger(options.seed)) throw new Error(`mixedRows: seed must be an integer, got ${String(options.seed)}`);
  const random = new Random(options.seed);
  const cols = mixedRowColumns.length;
  const x = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  const probabilities = new Float64Array(rows);
  const bernoulli = (logit: number): number => (random.next() < sigmoid(logit) ? 1 : 0);
  for (let r = 0; r < rows; r++) {
    const u = random.normal();
    const o = r * cols;
    x[o] = bernoulli(1.5 + 0.8 * u);
    x[o + 1] = bernoulli(-0.7 + 1.1 * u);
    x[o + 2] = bernoulli(0.2 - 0.9 * u);
    x[o + 3] = sigmoid(0.9 * u + 0.8 * random.normal());
    x[o + 4] = bernoulli(0.3 + 3 * (x[o + 3] - 0.5));
    x[o + 5] = sigmoid(-0.7 * u + 0.9 * random.normal());
    probabilities[r] = mixedRowProbability(x, o);
    labels[r] = random.next() < probabilities[r] ? 1 : 0;
  }
  checkValues(x, rows, mixedRowColumns, 'mixedRows');
  return { table: { x, rows, cols, labels, columns: mixedRowColumns }, probabilities };
}
