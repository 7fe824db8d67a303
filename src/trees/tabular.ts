// Row-major tables of numbers, the input of the tree learners, and the checks every entry point
// runs on them, so that a bad argument is reported by name before any work starts.
import { checkPositiveInt } from '../core/assert';

/**
 * A row-major table of numbers: the value of feature `f` in row `r` is `x[r * cols + f]`.
 * Shape: `{ x: Float32Array | Float64Array (rows * cols), rows, cols }`.
 */
export interface TabularData {
  x: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

/** A table with a binary label per row: `{ x, rows, cols, labels: ArrayLike<number> of 0/1, one per row }`. */
export interface LabelledTabularData extends TabularData {
  labels: ArrayLike<number>;
}

/** Throws unless `data` is a well-formed table; errors name `what` (e.g. `fit: data`) and the bad field. */
export function checkTable(data: TabularData, what: string): void {
  if (typeof data !== 'object' || data === null) throw new Error(`${what} must be an object { x, rows, cols }, got ${String(data)}`);
  checkPositiveInt(data.rows, `${what}.rows`);
  checkPositiveInt(data.cols, `${what}.cols`);
  if (!(data.x instanceof Float32Array || data.x instanceof Float64Array)) {
    throw new Error(`${what}.x must be a Float32Array or Float64Array, got ${describeValue(data.x)}`);
  }
  const expected = data.rows * data.cols;
  if (data.x.length !== expected) throw new Error(`${what}.x has ${data.x.length} values, expected rows * cols = ${data.rows} * ${data.cols} = ${expected}`);
}

/** Throws, naming the row and feature, at the first NaN in `data.x`; infinities are allowed. */
export function checkNoNaN(data: TabularData, what: string): void {
  const { x, cols } = data;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== x[i]) {
      throw new Error(`${what}.x[row ${Math.floor(i / cols)}, feature ${i % cols}] is NaN, expected a number (missing values are not supported: impute them first)`);
    }
  }
}

/** The labels as 0/1 bytes; throws naming `what` on a wrong length or a label other than 0 or 1. */
export function checkBinaryLabels(labels: ArrayLike<number>, rows: number, what: string): Uint8Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new Error(`${what} must be an array of 0/1 labels, got ${describeValue(labels)}`);
  if (labels.length !== rows) throw new Error(`${what} has ${labels.length} labels, expected one per row (${rows})`);
  const out = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = labels[i];
    if (v !== 0 && v !== 1) throw new Error(`${what}[${i}] is ${v}, expected 0 or 1`);
    out[i] = v;
  }
  return out;
}

/** The weights as doubles; throws naming `what` on a wrong length, a negative or non-finite weight, or a zero total. */
export function checkWeights(weights: ArrayLike<number>, rows: number, what: string): Float64Array {
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') throw new Error(`${what} must be an array of weights, got ${describeValue(weights)}`);
  if (weights.length !== rows) throw new Error(`${what} has ${weights.length} weights, expected one per row (${rows})`);
  const out = new Float64Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const v = weights[i];
    if (!Number.isFinite(v) || v < 0) throw new Error(`${what}[${i}] is ${v}, expected a finite number >= 0`);
    out[i] = v;
    total += v;
  }
  if (!(total > 0)) throw new Error(`${what} sum to ${total}, expected a positive total`);
  return out;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
