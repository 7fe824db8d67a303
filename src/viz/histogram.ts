import type { AxisTitles, FigureSpec, PlotlyTrace } from './figure-spec';
import { baseLayout, requireFinite, requireTitle } from './figure-spec';

/** One set of values to count. */
export interface HistogramSeries {
  name: string;
  values: ArrayLike<number>;
}

/** Options of `histogram`. */
export interface HistogramOptions extends AxisTitles {
  series: readonly HistogramSeries[];
  /** Number of equal-width bins. Default 40. */
  bins?: number;
  /** Range the bins cover; values outside it go to the first or last bin. Default: from the smallest to the largest value. */
  range?: readonly [number, number];
  /** Bar heights as shares of each series (summing to 1) instead of counts. Default false. */
  normalize?: boolean;
  height?: number;
}

/** Counts of `values` in `bins` equal bins over `[low, high]`, values outside clamped to the end bins. */
export function binCounts(values: ArrayLike<number>, bins: number, low: number, high: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (high - low) / bins;
  for (let i = 0; i < values.length; i++) {
    const b = width > 0 ? Math.floor((values[i] - low) / width) : 0;
    counts[Math.min(bins - 1, Math.max(0, b))] += 1;
  }
  return counts;
}

/**
 * Overlaid histograms of one or more series over the same bins (bars drawn half transparent), e.g.
 * the average activations of code units with and without a sparsity penalty.
 */
export function histogram(options: HistogramOptions): FigureSpec {
  const bins = options.bins ?? 40;
  if (!Number.isSafeInteger(bins) || bins <= 0) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  if (options.series.length === 0) throw new Error('histogram: series must not be empty');
  options.series.forEach((s, i) => {
    requireTitle(s.name, `histogram: series[${i}].name`);
    if (s.values.length === 0) throw new Error(`histogram: series[${i}] ("${s.name}") has no values`);
    requireFinite(s.values, `histogram: series[${i}].values`);
  });
  let [low, high] = options.range ?? [Infinity, -Infinity];
  if (options.range === undefined) {
    for (const s of options.series) for (let i = 0; i < s.values.length; i++) [low, high] = [Math.min(low, s.values[i]), Math.max(high, s.values[i])];
    if (high === low) high = low + 1;
  }
  if (!(high > low)) throw new Error(`histogram: range must be [low, high] with high > low, got [${low}, ${high}]`);
  const width = (high - low) / bins;
  const centers = Array.from({ length: bins }, (_, b) => low + (b + 0.5) * width);
  const data: PlotlyTrace[] = options.series.map((s) => {
    const counts = binCounts(s.values, bins, low, high);
    return {
      type: 'bar',
      name: s.name,
      x: centers,
      y: options.normalize === true ? counts.map((c) => c / s.values.length) : counts,
      width,
      opacity: options.series.length > 1 ? 0.6 : 1,
    };
  });
  const layout = baseLayout(options, { height: options.height });
  layout.barmode = 'overlay';
  layout.bargap = 0;
  return { data, layout };
}
