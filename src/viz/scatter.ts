import { AxisTitles, baseLayout, FigureSpec, PlotlyTrace, requireFinite } from './figure-spec';

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
