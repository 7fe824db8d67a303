/** One Plotly trace; only the fields replearn sets are typed, the rest pass through to Plotly. */
export interface PlotlyTrace {
  type: 'scatter' | 'scattergl' | 'heatmap' | 'bar';
  name?: string;
  x?: ArrayLike<number | string>;
  y?: ArrayLike<number | string>;
  z?: number[][];
  mode?: 'lines' | 'markers' | 'lines+markers';
  [key: string]: unknown;
}

/** An axis with its title, which every replearn figure has. */
export interface PlotlyAxis {
  title: { text: string };
  type?: 'linear' | 'log' | 'category';
  [key: string]: unknown;
}

/** The layout of a replearn figure: a title and two titled axes. */
export interface PlotlyLayout {
  title: { text: string };
  xaxis: PlotlyAxis;
  yaxis: PlotlyAxis;
  height?: number;
  [key: string]: unknown;
}

/** A complete Plotly figure: what `showFigure` draws and what the `application/vnd.plotly.v1+json` output holds. */
export interface FigureSpec {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
  config?: Record<string, unknown>;
}

/** Titles every figure needs; an empty one is an error. */
export interface AxisTitles {
  /** The figure's title. */
  title: string;
  /** The x axis title, with units where there are any. */
  xTitle: string;
  /** The y axis title, with units where there are any. */
  yTitle: string;
}

/** Throws when a title is missing or blank; `what` names the argument. */
export function requireTitle(value: string | undefined, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws unless every value is a finite number; `what` names the argument. */
export function requireFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`${what}[${i}] must be a finite number, got ${values[i]}`);
    }
  }
}

/** The layout shared by every figure: titled axes, a readable height, white background. */
export function baseLayout(titles: AxisTitles, extra: { xType?: PlotlyAxis['type']; yType?: PlotlyAxis['type']; height?: number } = {}): PlotlyLayout {
  const xaxis: PlotlyAxis = { title: { text: requireTitle(titles.xTitle, 'xTitle') } };
  const yaxis: PlotlyAxis = { title: { text: requireTitle(titles.yTitle, 'yTitle') } };
  if (extra.xType !== undefined) xaxis.type = extra.xType;
  if (extra.yType !== undefined) yaxis.type = extra.yType;
  return {
    title: { text: requireTitle(titles.title, 'title') },
    xaxis,
    yaxis,
    height: extra.height ?? 420,
    margin: { l: 70, r: 30, t: 60, b: 60 },
    template: 'plotly_white',
  };
}
