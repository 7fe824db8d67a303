// The numbers a network reads from a mixed table: continuous columns standardised, binary ones as
// they are, categorical ones one-hot; every parameter taken from the rows it was fitted on (the
// training part only), so that validation, test and synthetic rows are encoded the same way.
import type { ColumnSpec, MixedTable } from './columns';
import { checkColumns, checkValues, columnMeanSd } from './columns';
import type { Dataset } from '../data/dataset';
import { makeDataset } from '../data/dataset';

/** Where one column sits in an encoded row: `width` numbers from `start` (1, or the categories). */
export interface EncodedSlice {
  column: number;
  kind: ColumnSpec['kind'];
  start: number;
  width: number;
}

/** Where each of `columns` sits in an encoded row: one number for a binary or continuous column, one per category for a categorical one. */
export function encodedLayout(columns: readonly ColumnSpec[]): EncodedSlice[] {
  checkColumns(columns, 'encodedLayout: columns');
  let start = 0;
  return columns.map((c, column) => {
    const width = c.kind === 'categorical' ? (c.categories as number) : 1;
    const slice = { column, kind: c.kind, start, width };
    start += width;
    return slice;
  });
}

/**
 * Standardisation and one-hot encoding fitted on a table's rows: `transform` maps rows
 * `[rows, cols]` to encoded rows `[rows, width]`, `inverseTransform` maps encoded rows back
 * (continuous de-standardised, binary rounded at 0.5, categorical the largest of its numbers).
 */
export class TabularEncoder {
  /** The columns, as fitted. */
  readonly columns: readonly ColumnSpec[];
  /** Each continuous column's training mean (NaN for the other kinds). */
  readonly means: Float64Array;
  /** Each continuous column's training standard deviation, n - 1 in the denominator (NaN for the other kinds). */
  readonly scales: Float64Array;
  /** Where each column sits in an encoded row. */
  readonly layout: readonly EncodedSlice[];
  /** Numbers per encoded row. */
  readonly width: number;

  private constructor(columns: readonly ColumnSpec[], means: Float64Array, scales: Float64Array) {
    this.columns = columns;
    this.means = means;
    this.scales = scales;
    this.layout = encodedLayout(columns);
    this.width = this.layout.reduce((a, s) => a + s.width, 0);
  }

  /**
   * Fits on `table` (its training part): the mean and standard deviation of each continuous column.
   * A continuous column with no spread in these rows is an error (standardising it would divide by 0).
   */
  static fit(table: Pick<MixedTable, 'x' | 'rows' | 'columns'>): TabularEncoder {
    checkColumns(table.columns, 'TabularEncoder.fit: columns');
    const { x, rows, columns } = table;
    checkValues(x, rows, columns, 'TabularEncoder.fit');
    if (rows < 2) throw new Error(`TabularEncoder.fit needs at least 2 rows, got ${rows}`);
    const cols = columns.length;
    const means = new Float64Array(cols).fill(NaN);
    const scales = new Float64Array(cols).fill(NaN);
    columns.forEach((column, c) => {
      if (column.kind !== 'continuous') return;
      const { mean, sd: scale } = columnMeanSd(x, cols, c, rows);
      if (!(scale > 0)) throw new Error(`TabularEncoder.fit: continuous column ${c} (${column.name}) has the same value in every row, so it cannot be standardised`);
      means[c] = mean;
      scales[c] = scale;
    });
    return new TabularEncoder(columns, means, scales);
  }

  /** Encoded rows `[rows, width]` (float32) of `x` `[rows, cols]` row-major. */
  transform(x: ArrayLike<number>, rows: number): Float32Array {
    checkValues(x, rows, this.columns, 'TabularEncoder.transform');
    const cols = this.columns.length;
    const out = new Float32Array(rows * this.width);
    for (let r = 0; r < rows; r++) {
      for (const { column, kind, start } of this.layout) {
        const v = x[r * cols + column];
        const at = r * this.width + start;
        if (kind === 'continuous') out[at] = (v - this.means[column]) / this.scales[column];
        else if (kind === 'binary') out[at] = v;
        else out[at + v] = 1;
      }
    }
    return out;
  }

  /** Rows `[rows, cols]` (float64) from encoded rows `[rows, width]`. */
  inverseTransform(encoded: ArrayLike<number>, rows: number): Float64Array {
    if (encoded.length !== rows * this.width) throw new Error(`TabularEncoder.inverseTransform: ${encoded.length} values, expected rows * width = ${rows} * ${this.width} = ${rows * this.width}`);
    const cols = this.columns.length;
    const out = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (const { column, kind, start, width } of this.layout) {
        const at = r * this.width + start;
        const v = encoded[at];
        if (v !== v) throw new Error(`TabularEncoder.inverseTransform: row ${r}, column ${column} (${this.columns[column].name}) is NaN`);
        if (kind === 'continuous') out[r * cols + column] = v * this.scales[column] + this.means[column];
        else if (kind === 'binary') out[r * cols + column] = v >= 0.5 ? 1 : 0;
        else {
          let best = 0;
          for (let k = 1; k < width; k++) if (encoded[at + k] > encoded[at + best]) best = k;
          out[r * cols + column] = best;
        }
      }
    }
    return out;
  }
}

/**
 * The rows of `table` encoded by `encoder` as a trainer `Dataset` (`x` `[rows, width]`, the table's
 * labels as classes 0..classCount-1), for training a model such as `MixedConditionalVae`.
 */
export function encodedDataset(encoder: TabularEncoder, table: Pick<MixedTable, 'x' | 'rows' | 'labels'>, classCount = 2): Dataset {
  return makeDataset({ x: encoder.transform(table.x, table.rows), featureShape: [encoder.width], labels: Int32Array.from(table.labels), classCount });
}
