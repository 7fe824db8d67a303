import { AxisTitles, baseLayout, FigureSpec, PlotlyTrace, requireFinite, requireTitle } from './figure-spec';

/** Options for `scatterByLabel`. */
export interface ScatterByLabelOptions extends AxisTitles {
  /** Horizontal coordinates, one per point. */
  x: ArrayLike<number>;
  /** Vertical coordinates, one per point. */
  y: ArrayLike<number>;
  /** Integer class label of each point; one trace (one colour, one legend entry) per label. */
  labels: ArrayLike<number>;
  /** Display name of each label, indexed by label; defaults to the number. */
  labelNames?: readonly string[];
  /** Above this many points the traces use WebGL (`scattergl`); default 3000. */
  webglAbove?: number;
  markerSize?: number;
  height?: number;
}

/**
 * A scatter plot coloured by label, e.g. a 2-D latent space. Uses `scattergl` above `webglAbove`
 * points, where SVG becomes slow.
 */
export function scatterByLabel(options: ScatterByLabelOptions): FigureSpec {
  const n = options.x.length;
  if (options.y.length !== n || options.labels.length !== n) {
    throw new Error(`scatterByLabel: x, y and labels must have the same length, got ${n}, ${options.y.length} and ${options.labels.length}`);
  }
  if (n === 0) throw new Error('scatterByLabel: there are no points');
  requireFinite(options.x, 'scatterByLabel: x');
  requireFinite(options.y, 'scatterByLabel: y');
  const groups = new Map<number, { x: number[]; y: number[] }>();
  for (let i = 0; i < n; i++) {
    const label = options.labels[i];
    if (!Number.isInteger(label)) throw new Error(`scatterByLabel: labels[${i}] must be an integer, got ${label}`);
    let group = groups.get(label);
    if (group === undefined) {
      group = { x: [], y: [] };
      groups.set(label, group);
    }
    group.x.push(options.x[i]);
    group.y.push(options.y[i]);
  }
  const type = n > (options.webglAbove ?? 3000) ? 'scattergl' : 'scatter';
  const size = options.markerSize ?? (n > 3000 ? 3 : 6);
  const data: PlotlyTrace[] = [...groups.keys()]
    .sort((a, b) => a - b)
    .map((label) => {
      const group = groups.get(label) as { x: number[]; y: number[] };
      return {
        type,
        mode: 'markers',
        name: options.labelNames?.[label] ?? String(label),
        x: group.x,
        y: group.y,
        marker: { size, opacity: 0.7 },
      };
    });
  const layout = baseLayout(options, { height: options.height ?? 520 });
  layout.legend = { title: { text: 'label' }, itemsizing: 'constant' };
  return { data, layout };
}

/** Plotly's default colours (D3's category10), so that a label keeps its colour in every panel. */
export const labelColours: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** One panel of `scatterPanels`: the coordinates of every point and the panel's titles. */
export interface ScatterPanel {
  title: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Axis titles; default `${title} 1` and `${title} 2`. */
  xTitle?: string;
  yTitle?: string;
}

/** A coordinate to 4 significant digits: a map needs no more, and a notebook stays a third the size. */
const fourDigits = (v: number): number => Number(v.toPrecision(4));

/** Options for `scatterPanels`. */
export interface ScatterPanelsOptions {
  /** The figure's title. */
  title: string;
  /** The panels, filled row by row; every panel shows the same points in its own coordinates. */
  panels: readonly ScatterPanel[];
  /** Integer class label of each point: its colour in every panel, one legend entry per label. */
  labels: ArrayLike<number>;
  labelNames?: readonly string[];
  /** Panels per row; default min(panels, 3). */
  columns?: number;
  /** Text shown when the pointer is over a point (Plotly's subset of HTML, e.g. `digitHoverArt`), one per point. */
  hoverText?: readonly string[];
  markerSize?: number;
  /** Height of one row of panels in pixels; default 380. */
  rowHeight?: number;
}

/**
 * The same points in several 2-D coordinate systems side by side (Plotly subplots), coloured by
 * label with one shared legend: clicking a label hides it in every panel. Coordinates are kept to 4
 * significant digits. With `hoverText`, each point shows its text (e.g. the digit drawn in
 * characters) in a monospace hover label; it is repeated in every panel, so it multiplies the
 * figure's size by the number of panels.
 */
export function scatterPanels(options: ScatterPanelsOptions): FigureSpec {
  const { panels, labels } = options;
  if (panels.length === 0) throw new Error('scatterPanels: there are no panels');
  const n = labels.length;
  if (n === 0) throw new Error('scatterPanels: there are no points');
  if (options.hoverText !== undefined && options.hoverText.length !== n) throw new Error(`scatterPanels: ${options.hoverText.length} hover texts for ${n} points`);
  const columns = options.columns ?? Math.min(panels.length, 3);
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`scatterPanels: columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(panels.length / columns);
  const order: number[][] = [];
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) throw new Error(`scatterPanels: labels[${i}] must be a non-negative integer, got ${label}`);
    (order[label] ??= []).push(i);
  }
  const present = order.map((indices, label) => (indices === undefined ? -1 : label)).filter((label) => label >= 0);
  const size = options.markerSize ?? (n > 3000 ? 3 : 5);
  const data: PlotlyTrace[] = [];
  const layout = baseLayout({ title: options.title, xTitle: panels[0].xTitle ?? `${panels[0].title} 1`, yTitle: panels[0].yTitle ?? `${panels[0].title} 2` }, { height: rows * (options.rowHeight ?? 380) + 80 });
  layout.grid = { rows, columns, pattern: 'independent', xgap: 0.12, ygap: 0.22 };
  layout.legend = { title: { text: 'label' }, itemsizing: 'constant' };
  layout.hoverlabel = { font: { family: 'Menlo, Consolas, "DejaVu Sans Mono", monospace', size: 11 } };
  const annotations: Record<string, unknown>[] = [];
  panels.forEach((panel, p) => {
    requireTitle(panel.title, `scatterPanels: panels[${p}].title`);
    if (panel.x.length !== n || panel.y.length !== n) throw new Error(`scatterPanels: panel "${panel.title}" has ${panel.x.length} x and ${panel.y.length} y values for ${n} labels`);
    requireFinite(panel.x, `scatterPanels: panel "${panel.title}" x`);
    requireFinite(panel.y, `scatterPanels: panel "${panel.title}" y`);
    const suffix = p === 0 ? '' : String(p + 1);
    for (const label of present) {
      const indices = order[label];
      const name = options.labelNames?.[label] ?? String(label);
      const trace: PlotlyTrace = {
        type: n > 3000 ? 'scattergl' : 'scatter',
        mode: 'markers',
        name,
        legendgroup: name,
        showlegend: p === 0,
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        x: indices.map((i) => fourDigits(panel.x[i])),
        y: indices.map((i) => fourDigits(panel.y[i])),
        marker: { size, opacity: 0.75, color: labelColours[label % labelColours.length] },
      };
      if (options.hoverText !== undefined) {
        trace.text = indices.map((i) => options.hoverText![i]);
        trace.hovertemplate = `%{text}<extra>${name}</extra>`;
      } else {
        trace.hovertemplate = `(%{x:.3g}, %{y:.3g})<extra>${name}</extra>`;
      }
      data.push(trace);
    }
    layout[`xaxis${suffix}`] = { title: { text: requireTitle(panel.xTitle ?? `${panel.title} 1`, 'xTitle') } };
    layout[`yaxis${suffix}`] = { title: { text: requireTitle(panel.yTitle ?? `${panel.title} 2`, 'yTitle') } };
    annotations.push({ text: `<b>${panel.title}</b>`, xref: `x${suffix} domain`, yref: `y${suffix} domain`, x: 0.5, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false });
  });
  layout.annotations = annotations;
  return { data, layout };
}

/**
 * Characters from no ink to full ink for `digitHoverArt`: ASCII (one byte each in a notebook's JSON),
 * and no space, which hover labels would collapse.
 */
const inkLevels = ['.', ':', '-', '=', '+', '*', '#', '%', '@'];

/**
 * A grey image drawn in characters for a hover label: `crop` pixels cut from each border, blocks of
 * `block` x `block` pixels averaged, each block one of nine characters from `.` (no ink) to `@` (1),
 * rows joined by `<br>`. A 28 x 28 MNIST digit with the defaults (crop 4, block 2) becomes 10 x 10 characters.
 */
export function digitHoverArt(pixels: ArrayLike<number>, options: { width?: number; height?: number; crop?: number; block?: number } = {}): string {
  const width = options.width ?? 28;
  const height = options.height ?? 28;
  const crop = options.crop ?? 4;
  const block = options.block ?? 2;
  if (pixels.length !== width * height) throw new Error(`digitHoverArt: ${pixels.length} pixels for a ${width} x ${height} image`);
  if (!Number.isInteger(block) || block < 1 || !Number.isInteger(crop) || crop < 0 || width - 2 * crop < block || height - 2 * crop < block) {
    throw new Error(`digitHoverArt: crop ${crop} and block ${block} leave nothing of a ${width} x ${height} image`);
  }
  const rows: string[] = [];
  for (let top = crop; top + block <= height - crop; top += block) {
    let row = '';
    for (let left = crop; left + block <= width - crop; left += block) {
      let sum = 0;
      for (let r = top; r < top + block; r++) for (let c = left; c < left + block; c++) sum += pixels[r * width + c];
      const level = Math.round(Math.min(1, Math.max(0, sum / (block * block))) * (inkLevels.length - 1));
      row += inkLevels[level];
    }
    rows.push(row);
  }
  return rows.join('<br>');
}
