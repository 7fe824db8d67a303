// What a column of a mixed table holds, shared by the generator, the encoder and the models that
// read and write such tables.

/** The kind of a column: `binary` 0/1, `continuous` any real, `categorical` an integer code 0..categories-1. */
export type ColumnKind = 'binary' | 'continuous' | 'categorical';

/** One column of a mixed table: its name and kind (`categories` for a categorical column). */
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  /** Number of categories, at least 2; only for `categorical`. */
  categories?: number;
  /** Names of the categories, in code order (optional; `categories` of them). */
  levels?: readonly string[];
}

/**
 * A table of mixed columns with a binary label: row-major values (`x[r * cols + c]`; binary 0/1,
 * categorical as integer codes), the column specs, and 0/1 labels. It is the `LabelledTabularData`
 * the gradient-boosted trees take, with names and kinds added.
 */
export interface MixedTable {
  x: Float64Array;
  rows: number;
  cols: number;
  labels: Uint8Array;
  columns: readonly ColumnSpec[];
}

/** Throws unless `columns` is a well-formed list of specs; errors name `what`. */
export function checkColumns(columns: readonly ColumnSpec[], what: string): void {
  if (!Array.isArray(columns) || columns.length === 0) throw new Error(`${what} must be a non-empty array of column specs`);
  columns.forEach((c, i) => {
    if (!['binary', 'continuous', 'categorical'].includes(c.kind)) throw new Error(`${what}[${i}] (${c.name}): kind must be binary|continuous|categorical, got ${String(c.kind)}`);
    if (c.kind === 'categorical' && !(Number.isSafeInteger(c.categories) && (c.categories as number) >= 2)) {
      throw new Error(`${what}[${i}] (${c.name}): a categorical column needs categories, an integer >= 2, got ${String(c.categories)}`);
    }
    if (c.levels !== undefined && (c.kind !== 'categorical' || c.levels.length !== c.categories)) {
      throw new Error(`${what}[${i}] (${c.name}): levels must name each of a categorical column's ${String(c.categories)} categories, got ${c.levels.length} for a ${c.kind} column`);
    }
  });
}

/**
 * Throws, naming the row and column, at the first value that its column's kind does not allow:
 * NaN anywhere, a binary value other than 0 or 1, a categorical code outside 0..categories-1.
 */
export function checkValues(x: ArrayLike<number>, rows: number, columns: readonly ColumnSpec[], what: string): void {
  const cols = columns.length;
  if (x.length !== rows * cols) throw new Error(`${what}: ${x.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c];
      const column = columns[c];
      const bad =
        v !== v ||
        (column.kind === 'binary' && v !== 0 && v !== 1) ||
        (column.kind === 'categorical' && !(Number.isInteger(v) && v >= 0 && v < (column.categories as number)));
      if (bad) {
        const expected = column.kind === 'binary' ? '0 or 1' : column.kind === 'categorical' ? `an integer in 0..${(column.categories as number) - 1}` : 'a number';
        throw new Error(`${what}: row ${r}, column ${c} (${column.name}, ${column.kind}) is ${v}, expected ${expected}`);
      }
    }
  }
}

/**
 * Mean and standard deviation (n - 1 in the denominator; n for a single row) of column `c` of the
 * row-major values `x` (`cols` per row), over the rows listed in `rows`, or over rows 0..rows-1 when
 * `rows` is a count. The sums run in row order.
 */
export function columnMeanSd(x: ArrayLike<number>, cols: number, c: number, rows: number | ArrayLike<number>): { mean: number; sd: number } {
  const n = typeof rows === 'number' ? rows : rows.length;
  const row = typeof rows === 'number' ? (i: number) => i : (i: number) => rows[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[row(i) * cols + c];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (x[row(i) * cols + c] - mean) ** 2;
  return { mean, sd: Math.sqrt(squares / Math.max(1, n - 1)) };
}
