// Rows of a mixed table taken, split and made up: the train / validation / test split that every
// augmentation experiment starts from, and the two baselines synthetic rows are measured against:
// noise jitter of real rows and SMOTE's interpolation between a row and a neighbour of its class.
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import type { MixedTable } from './columns';
import { columnMeanSd } from './columns';

/** The rows `indices` of `table`, in that order. */
export function takeRows(table: MixedTable, indices: ArrayLike<number>): MixedTable {
  const { cols } = table;
  const x = new Float64Array(indices.length * cols);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!(Number.isInteger(r) && r >= 0 && r < table.rows)) throw new Error(`takeRows: index ${i} is ${r}, expected an integer in 0..${table.rows - 1}`);
    x.set(table.x.subarray(r * cols, (r + 1) * cols), i * cols);
    labels[i] = table.labels[r];
  }
  return { x, rows: indices.length, cols, labels, columns: table.columns };
}

/** Options of `splitTable`: row counts of the three parts (their sum at most the table's rows) and the seed of the shuffle. */
export interface TableSplitOptions {
  trainCount: number;
  validationCount: number;
  testCount: number;
  seed: number;
}

/** Disjoint train, validation and test parts of `table`, drawn by one seeded shuffle of its rows. */
export function splitTable(table: MixedTable, options: TableSplitOptions): { train: MixedTable; validation: MixedTable; test: MixedTable } {
  const counts = [options.trainCount, options.validationCount, options.testCount];
  counts.forEach((c, i) => {
    if (!Number.isSafeInteger(c) || c < 0) throw new Error(`splitTable: ${['trainCount', 'validationCount', 'testCount'][i]} must be an integer >= 0, got ${c}`);
  });
  const total = counts[0] + counts[1] + counts[2];
  if (total > table.rows) throw new Error(`splitTable: ${total} rows asked for (${counts.join(' + ')}), the table has ${table.rows}`);
  const order = new Random(options.seed).permutation(table.rows);
  const part = (from: number, count: number) => takeRows(table, order.subarray(from, from + count));
  return { train: part(0, counts[0]), validation: part(counts[0], counts[1]), test: part(counts[0] + counts[1], counts[2]) };
}

/** The rows of `table` with label `label`, as indices. */
function rowsOf(table: MixedTable, label: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < table.rows; r++) if (table.labels[r] === label) out.push(r);
  if (out.length === 0) throw new Error(`no row of the table has label ${label}`);
  return out;
}

/** Options of `jitterRows`. */
export interface JitterOptions {
  /** Rows to make. */
  count: number;
  /** Make rows of this label only (copies of rows with it); default: copies of any row, labels kept. */
  label?: number;
  /** Standard deviation of the noise on a continuous column, as a share of the column's sd in `table`. Default 0.1. */
  scale?: number;
  /** Chance that a binary value is flipped (a categorical one redrawn uniformly). Default 0.05. */
  flip?: number;
  seed: number;
}

/**
 * The jitter baseline: `count` copies of random rows of `table` (of `label` when given) with
 * Gaussian noise on the continuous columns and a few binary and categorical values changed.
 */
export function jitterRows(table: MixedTable, options: JitterOptions): MixedTable {
  const count = checkPositiveInt(options.count, 'jitterRows: count');
  const scale = options.scale ?? 0.1;
  const flip = options.flip ?? 0.05;
  if (!(scale >= 0)) throw new Error(`jitterRows: scale must be >= 0, got ${scale}`);
  if (!(flip >= 0 && flip <= 1)) throw new Error(`jitterRows: flip must be in [0, 1], got ${flip}`);
  const random = new Random(options.seed);
  const pool = options.label === undefined ? Array.from({ length: table.rows }, (_, r) => r) : rowsOf(table, options.label);
  const { cols, columns } = table;
  const spread = columns.map((column, c) => (column.kind === 'continuous' ? columnMeanSd(table.x, cols, c, table.rows).sd : 0));
  const out = takeRows(table, Array.from({ length: count }, () => pool[random.int(pool.length)]));
  for (let r = 0; r < count; r++) {
    columns.forEach((column, c) => {
      const at = r * cols + c;
      if (column.kind === 'continuous') out.x[at] += scale * spread[c] * random.normal();
      else if (random.next() < flip) out.x[at] = column.kind === 'binary' ? 1 - out.x[at] : random.int(column.categories as number);
    });
  }
  return out;
}

/** Options of `smoteRows`. */
export interface SmoteOptions {
  /** Rows to make. */
  count: number;
  /** The label of the rows made (the minority class, in SMOTE's use). */
  label: number;
  /** Neighbours of the same label to interpolate towards. Default 5 (SMOTE's). */
  neighbours?: number;
  seed: number;
}

/**
 * SMOTE (Chawla et al. 2002), with SMOTE-NC's rule for the columns that are not continuous: each
 * new row starts from a random row of `label`, picks one of its `neighbours` nearest rows of that
 * label (Euclidean distance on the columns standardised by their sd; binary and categorical
 * columns count 1 when they differ), and takes the point a uniform share of the way towards it on
 * every continuous column, and on each other column the value most of the neighbours hold.
 */
export function smoteRows(table: MixedTable, options: SmoteOptions): MixedTable {
  const count = checkPositiveInt(options.count, 'smoteRows: count');
  const k = checkPositiveInt(options.neighbours ?? 5, 'smoteRows: neighbours');
  const pool = rowsOf(table, options.label);
  if (pool.length < 2) throw new Error(`smoteRows: label ${options.label} has ${pool.length} row; interpolation needs at least 2`);
  const kk = Math.min(k, pool.length - 1);
  const { cols, columns } = table;
  const spread = columns.map((column, c) => {
    if (column.kind !== 'continuous') return 1;
    const { sd } = columnMeanSd(table.x, cols, c, pool);
    return sd > 0 ? sd : 1;
  });
  const distance = (a: number, b: number): number => {
    let s = 0;
    for (let c = 0; c < cols; c++) {
      const d = table.x[a * cols + c] - table.x[b * cols + c];
      s += columns[c].kind === 'continuous' ? (d / spread[c]) ** 2 : d === 0 ? 0 : 1;
    }
    return s;
  };
  const random = new Random(options.seed);
  const x = new Float64Array(count * cols);
  const neighboursOf = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const base = pool[random.int(pool.length)];
    let near = neighboursOf.get(base);
    if (near === undefined) {
      near = pool
        .filter((r) => r !== base)
        .map((r) => ({ r, d: distance(base, r) }))
        .sort((p, q) => p.d - q.d || p.r - q.r)
        .slice(0, kk)
        .map((p) => p.r);
      neighboursOf.set(base, near);
    }
    const other = near[random.int(near.length)];
    const share = random.next();
    columns.forEach((column, c) => {
      const from = table.x[base * cols + c];
      if (column.kind === 'continuous') {
        x[i * cols + c] = from + share * (table.x[other * cols + c] - from);
        return;
      }
      // The value most of the neighbours hold; a tie goes to the base row's value, then the smallest.
      const votes = new Map<number, number>();
      for (const r of near) votes.set(table.x[r * cols + c], (votes.get(table.x[r * cols + c]) ?? 0) + 1);
      let best = from;
      let bestVotes = votes.get(from) ?? 0;
      for (const [value, n] of [...votes].sort((p, q) => p[0] - q[0])) {
        if (n > bestVotes) {
          best = value;
          bestVotes = n;
        }
      }
      x[i * cols + c] = best;
    });
  }
  return { x, rows: count, cols, labels: new Uint8Array(count).fill(options.label), columns };
}

/** The rows of `tables` one after another (same columns), labels kept: e.g. real rows and synthetic ones. */
export function concatTables(tables: readonly MixedTable[]): MixedTable {
  if (tables.length === 0) throw new Error('concatTables: no tables');
  const { cols, columns } = tables[0];
  tables.forEach((t, i) => {
    const same = t.cols === cols && t.columns.every((c, j) => c.kind === columns[j].kind && c.name === columns[j].name && c.categories === columns[j].categories);
    if (!same) throw new Error(`concatTables: table ${i} has columns ${t.columns.map((c) => c.name).join(', ')}, table 0 ${columns.map((c) => c.name).join(', ')}`);
  });
  const rows = tables.reduce((a, t) => a + t.rows, 0);
  const x = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  let at = 0;
  for (const t of tables) {
    x.set(t.x, at * cols);
    labels.set(t.labels, at);
    at += t.rows;
  }
  return { x, rows, cols, labels, columns };
}
