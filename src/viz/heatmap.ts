import { AxisTitles, baseLayout, FigureSpec, PlotlyTrace, requireFinite, requireTitle } from './figure-spec';

/** Options for `heatmap`. */
export interface HeatmapOptions extends AxisTitles {
  /** Rows of values, `z[row][column]`; every row the same length. */
  z: number[][];
  /** Column labels (x axis), one per column. */
  x?: ReadonlyArray<number | string>;
  /** Row labels (y axis), one per row. */
  y?: ReadonlyArray<number | string>;
  /** Title of the colour bar: what a cell's value means. */
  colorTitle: string;
  /** Plotly colour scale name; default `Viridis`. */
  colorscale?: string;
  /** Write each value in its cell (small matrices such as a confusion matrix). */
  showValues?: boolean;
  /** Draw row 0 at the top, as a matrix is read; default true. */
  matrixOrder?: boolean;
  height?: number;
}

/** A heatmap of a matrix (confusion matrix, weights, distances) with a titled colour bar. */
export function heatmap(options: HeatmapOptions): FigureSpec {
  const rows = options.z;
  if (!Array.isArray(rows) || rows.length === 0 || !Array.isArray(rows[0]) || rows[0].length === 0) {
    throw new Error('heatmap: z must be a non-empty array of non-empty rows');
  }
  const columns = rows[0].length;
  rows.forEach((row, r) => {
    if (row.length !== columns) throw new Error(`heatmap: z[${r}] has ${row.length} values, expected ${columns} like z[0]`);
    requireFinite(row, `heatmap: z[${r}]`);
  });
  if (options.x !== undefined && options.x.length !== columns) {
    throw new Error(`heatmap: x has ${options.x.length} labels, expected one per column (${columns})`);
  }
  if (options.y !== undefined && options.y.length !== rows.length) {
    throw new Error(`heatmap: y has ${options.y.length} labels, expected one per row (${rows.length})`);
  }
  const trace: PlotlyTrace = {
    type: 'heatmap',
    z: rows.map((row) => Array.from(row)),
    colorscale: options.colorscale ?? 'Viridis',
    colorbar: { title: { text: requireTitle(options.colorTitle, 'heatmap: colorTitle') } },
  };
  if (options.x !== undefined) trace.x = Array.from(options.x, String);
  if (options.y !== undefined) trace.y = Array.from(options.y, String);
  if (options.showValues === true) {
    trace.text = rows.map((row) => row.map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(3))));
    trace.texttemplate = '%{text}';
  }
  const layout = baseLayout(options, { height: options.height });
  if (options.x !== undefined) layout.xaxis.type = 'category';
  if (options.y !== undefined) layout.yaxis.type = 'category';
  if (options.matrixOrder ?? true) layout.yaxis.autorange = 'reversed';
  return { data: [trace], layout };
}
