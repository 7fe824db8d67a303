import { AxisTitles, baseLayout, FigureSpec, PlotlyTrace, requireFinite, requireTitle } from './figure-spec';

/** One curve: `y` against `x` (or against 1, 2, 3, ... when `x` is left out). */
export interface Curve {
  name: string;
  y: ArrayLike<number>;
  x?: ArrayLike<number>;
  /** Dashed line, e.g. for a validation curve next to its training curve. */
  dashed?: boolean;
}

/** Options for `lineChart`. */
export interface LineChartOptions extends AxisTitles {
  curves: Curve[];
  /** Log scale on the y axis (loss curves spanning decades). */
  logY?: boolean;
  /** Log scale on the x axis (settings such as learning rates that span decades). */
  logX?: boolean;
  height?: number;
}

/**
 * A line chart of one or more curves (loss curves, metrics against a setting).
 * Each curve's `x` and `y` must have the same length and hold finite numbers.
 */
export function lineChart(options: LineChartOptions): FigureSpec {
  if (!Array.isArray(options.curves) || options.curves.length === 0) {
    throw new Error(`lineChart: curves must be a non-empty array, got ${JSON.stringify(options.curves)}`);
  }
  const data: PlotlyTrace[] = options.curves.map((curve, i) => {
    requireTitle(curve.name, `lineChart: curves[${i}].name`);
    const y = Array.from(curve.y);
    if (y.length === 0) throw new Error(`lineChart: curves[${i}] ("${curve.name}") has no points`);
    requireFinite(y, `lineChart: curves[${i}].y`);
    const x = curve.x === undefined ? y.map((_, j) => j + 1) : Array.from(curve.x);
    if (x.length !== y.length) {
      throw new Error(`lineChart: curves[${i}] ("${curve.name}") has ${x.length} x values but ${y.length} y values`);
    }
    requireFinite(x, `lineChart: curves[${i}].x`);
    if (options.logY === true && y.some((v) => v <= 0)) {
      throw new Error(`lineChart: curves[${i}] ("${curve.name}") has a value <= 0, which a log y axis cannot show`);
    }
    if (options.logX === true && x.some((v) => v <= 0)) {
      throw new Error(`lineChart: curves[${i}] ("${curve.name}") has an x value <= 0, which a log x axis cannot show`);
    }
    const trace: PlotlyTrace = { type: 'scatter', mode: y.length > 60 ? 'lines' : 'lines+markers', name: curve.name, x, y };
    if (curve.dashed === true) trace.line = { dash: 'dash' };
    return trace;
  });
  return { data, layout: baseLayout(options, { xType: options.logX === true ? 'log' : undefined, yType: options.logY === true ? 'log' : undefined, height: options.height }) };
}
