// Histogram binning of a table, as LightGBM's Dataset does before training: each feature's values
// are cut into at most `maxBins` ordered bins, learned once from the training rows and reused for
// any later rows, so that split search runs over bin histograms instead of sorted values.
//
// Missing values: NaN is rejected (the error names the row and feature); impute before binning.
// Infinities are ordinary values and land in the end bins.
import { checkNoNaN, checkTable } from './tabular';
import type { TabularData } from './tabular';

/** Options of `FeatureBinner.fit`. */
export interface BinnerOptions {
  /** Most bins per feature, 2..256 (stored as bytes). Default 255 (LightGBM `max_bin`). */
  maxBins?: number;
}

/**
 * A table's bins, column-major: `bins[f][r]` is the bin of feature `f` in row `r`.
 * Shape: `{ bins: Uint8Array[] (cols arrays of rows bytes), rows, cols }`.
 */
export interface BinnedColumns {
  bins: Uint8Array[];
  rows: number;
  cols: number;
}

/** The default and the largest `maxBins`: bins are stored as bytes. */
const defaultMaxBins = 255;
const largestMaxBins = 256;

/**
 * Where to cut between neighbouring distinct values a < b: their midpoint, as LightGBM's; where
 * that midpoint is not strictly below b (neighbouring floats, infinities), a itself, which still
 * keeps a and b apart.
 */
function cutBetween(a: number, b: number): number {
  const mid = a / 2 + b / 2;
  return mid >= a && mid < b ? mid : a;
}

/**
 * Bin upper bounds of one feature from its sorted values: one bin per distinct value when there are
 * at most `maxBins` of them (a binary column gets 2 bins), otherwise bins that end at the training
 * quantiles. The last bound is +Infinity, so every value has a bin.
 */
function upperBoundsOf(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  let distinct = 1;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const bounds = new Float64Array(Math.min(distinct, maxBins));
  let count = 0;
  if (distinct <= maxBins) {
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) bounds[count++] = cutBetween(sorted[i - 1], sorted[i]);
  } else {
    // Bin k ends at the first distinct value whose cumulative count (i rows up to it) reaches
    // k n / maxBins; a value heavier than one bin's share closes the bin alone and the targets it
    // covers are skipped.
    let k = 1;
    for (let i = 1; i < n && k < maxBins; i++) {
      if (sorted[i] !== sorted[i - 1] && i >= (k * n) / maxBins) {
        bounds[count++] = cutBetween(sorted[i - 1], sorted[i]);
        while (k < maxBins && (k * n) / maxBins <= i) k++;
      }
    }
  }
  bounds[count++] = Infinity;
  return bounds.slice(0, count);
}

/**
 * Per-feature histogram bins learned from training rows (LightGBM's bin mappers): bin edges at the
 * training quantiles, or one bin per distinct value when there are few; new rows are binned with
 * the training edges, values beyond the training range going to the end bins. Where there are
 * more distinct values than bins the edges differ from LightGBM's, which also wants 3 rows per bin
 * (`min_data_in_bin`) and gives zero a bin of its own.
 */
export class FeatureBinner {
  /** Per feature, the upper bound of each bin: a value goes to the first bin whose bound is >= it; the last bound is +Infinity. */
  readonly upperBounds: readonly Float64Array[];

  private constructor(upperBounds: Float64Array[]) {
    this.upperBounds = upperBounds;
  }

  /** Learns each feature's bins from `data` (NaN rejected, naming its row and feature). */
  static fit(data: TabularData, options: BinnerOptions = {}): FeatureBinner {
    checkTable(data, 'FeatureBinner.fit: data');
    const maxBins = options.maxBins ?? defaultMaxBins;
    checkMaxBins(maxBins, 'FeatureBinner.fit: maxBins');
    const { x, rows, cols } = data;
    const column = new Float64Array(rows);
    const bounds: Float64Array[] = [];
    for (let f = 0; f < cols; f++) {
      for (let r = 0; r < rows; r++) column[r] = x[r * cols + f];
      column.sort();
      // Sorting puts NaN last; only then is the table searched for the first NaN to name it.
      if (Number.isNaN(column[rows - 1])) checkNoNaN(data, 'FeatureBinner.fit: data');
      bounds.push(upperBoundsOf(column, maxBins));
    }
    return new FeatureBinner(bounds);
  }

  /** The number of features. */
  get cols(): number {
    return this.upperBounds.length;
  }

  /** The number of bins of `feature` (1 for a constant column). */
  binCount(feature: number): number {
    return this.boundsOf(feature).length;
  }

  /** The bin of `value` in `feature`: the first bin whose upper bound is >= value. */
  binOf(feature: number, value: number): number {
    if (Number.isNaN(value)) throw new Error(`FeatureBinner.binOf: value of feature ${feature} is NaN, expected a number`);
    return searchBin(this.boundsOf(feature), value);
  }

  /** Bins every row of `data` (same columns as the training data; NaN rejected) into column-major bytes. */
  transform(data: TabularData): BinnedColumns {
    checkTable(data, 'FeatureBinner.transform: data');
    if (data.cols !== this.cols) throw new Error(`FeatureBinner.transform: data.cols is ${data.cols}, expected ${this.cols} (the training columns)`);
    const { x, rows, cols } = data;
    const bins: Uint8Array[] = [];
    for (let f = 0; f < cols; f++) {
      const bounds = this.upperBounds[f];
      const out = new Uint8Array(rows);
      const last = bounds.length - 1;
      // The binary search is written out here rather than called: this loop runs once per value.
      if (last > 0) {
        for (let r = 0; r < rows; r++) {
          const v = x[r * cols + f];
          let lo = 0;
          let hi = last;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (v <= bounds[mid]) hi = mid;
            else lo = mid + 1;
          }
          // NaN compares false and lands in the last bin: only values there are looked at twice.
          if (lo === last && v !== v) checkNoNaN(data, 'FeatureBinner.transform: data');
          out[r] = lo;
        }
      } else {
        for (let r = 0; r < rows; r++) if (x[r * cols + f] !== x[r * cols + f]) checkNoNaN(data, 'FeatureBinner.transform: data');
      }
      bins.push(out);
    }
    return { bins, rows, cols };
  }

  private boundsOf(feature: number): Float64Array {
    if (!Number.isInteger(feature) || feature < 0 || feature >= this.cols) throw new Error(`FeatureBinner: feature must be an integer in 0..${this.cols - 1}, got ${feature}`);
    return this.upperBounds[feature];
  }
}

/** Throws unless `maxBins` is an integer in 2..256, naming `what`. */
export function checkMaxBins(maxBins: number, what: string): void {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > largestMaxBins) throw new Error(`${what} must be an integer in 2..${largestMaxBins}, got ${maxBins}`);
}

function searchBin(bounds: Float64Array, value: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= bounds[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
