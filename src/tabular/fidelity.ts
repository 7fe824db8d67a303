// How close synthetic rows are to real ones, and how far from copies: per-column summaries, the
// correlation matrix of the columns and the label, and each row's distance to its closest real
// training row (the "distance to closest record" of the synthetic-data literature).
import { nearestNeighbours } from '../latent/knn';
import type { MixedTable } from './columns';
import type { TabularEncoder } from './encoder';

/** One column's summary over a table's rows. */
export interface ColumnSummary {
  column: string;
  kind: string;
  /** The mean (a binary column's share of 1s). */
  mean: number;
  /** The standard deviation (n - 1 in the denominator). */
  sd: number;
}

/**
 * The mean and standard deviation of every binary and continuous column and of every level of a
 * categorical one (as a 0/1 indicator, named `column=level`), then of the label.
 */
export function columnSummaries(table: MixedTable): ColumnSummary[] {
  const { names, values, kinds } = indicatorColumns(table);
  return names.map((column, j) => {
    const v = values[j];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
    return { column, kind: kinds[j], mean, sd };
  });
}

/** The table's columns as numeric variables: binary and continuous as they are, categorical as one indicator per level, and the label last. */
function indicatorColumns(table: MixedTable): { names: string[]; values: Float64Array[]; kinds: string[] } {
  const names: string[] = [];
  const values: Float64Array[] = [];
  const kinds: string[] = [];
  const { x, rows, cols } = table;
  if (rows < 2) throw new Error(`a table of ${rows} row cannot be summarised; it needs at least 2`);
  table.columns.forEach((column, c) => {
    if (column.kind !== 'categorical') {
      names.push(column.name);
      kinds.push(column.kind);
      values.push(Float64Array.from({ length: rows }, (_, r) => x[r * cols + c]));
      return;
    }
    for (let k = 0; k < (column.categories as number); k++) {
      names.push(`${column.name}=${column.levels?.[k] ?? k}`);
      kinds.push('level');
      values.push(Float64Array.from({ length: rows }, (_, r) => (x[r * cols + c] === k ? 1 : 0)));
    }
  });
  names.push('label');
  kinds.push('label');
  values.push(Float64Array.from(table.labels));
  return { names, values, kinds };
}

/**
 * Pearson correlations `[v, v]` between the table's variables (binary and continuous columns, one
 * indicator per categorical level, the label last) and their names. A variable with no spread in
 * these rows has correlation 0 with every other (and 1 with itself), reported in `constant`.
 */
export function correlationMatrix(table: MixedTable): { names: string[]; matrix: number[][]; constant: string[] } {
  const { names, values } = indicatorColumns(table);
  const n = table.rows;
  const centred = values.map((v) => {
    const mean = v.reduce((a, b) => a + b, 0) / n;
    return v.map((u) => u - mean);
  });
  const norms = centred.map((v) => Math.sqrt(v.reduce((a, b) => a + b * b, 0)));
  const matrix = names.map((_, i) =>
    names.map((__, j) => {
      if (i === j) return 1;
      if (!(norms[i] > 0 && norms[j] > 0)) return 0;
      let s = 0;
      for (let r = 0; r < n; r++) s += centred[i][r] * centred[j][r];
      return s / (norms[i] * norms[j]);
    }),
  );
  return { names, matrix, constant: names.filter((_, i) => !(norms[i] > 0)) };
}

/**
 * The Euclidean distance from each row of `rows` to its closest row of `reference`, both encoded by
 * `encoder` (continuous columns in training standard deviations, one-hot categories, labels left
 * out): `[rows.rows]`. A synthetic row at distance 0 is a copy of a training row.
 */
export async function closestRowDistances(rows: MixedTable, reference: MixedTable, encoder: TabularEncoder): Promise<Float64Array> {
  const embed = (t: MixedTable) => ({ z: encoder.transform(t.x, t.rows), count: t.rows, latentDim: encoder.width });
  const found = await nearestNeighbours(embed(rows), embed(reference), 1);
  return Float64Array.from(found.distances, (d) => Math.sqrt(d));
}
