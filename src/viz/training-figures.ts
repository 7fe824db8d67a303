import type { Embedding } from '../latent/embed';
import type { EpochLog } from '../training/trainer';
import type { FigureSpec } from './figure-spec';
import { lineChart } from './line-chart';
import { scatterByLabel } from './scatter';

/** Options of `lossCurves`. */
export interface LossCurvesOptions {
  title: string;
  /** Loss terms to draw. Default: `total` alone when it has at most one part, else `total` and every part. */
  terms?: readonly string[];
  /** Title of the y axis. Default `loss per example`. */
  yTitle?: string;
  /** Log-scale y axis. Default false. */
  logY?: boolean;
  /** Prefix of the legend entries, e.g. the model's name when several runs share a figure. */
  name?: string;
}

/** Loss curves of a training run: each term on the training set (solid) and the validation set (dashed), against epoch. */
export function lossCurves(history: readonly EpochLog[], options: LossCurvesOptions): FigureSpec {
  if (history.length === 0) throw new Error('lossCurves: the history is empty (train for at least one epoch)');
  const parts = Object.keys(history[0].train).filter((t) => t !== 'total');
  // A single part equals the total: drawing both would show the same curve twice.
  const terms = options.terms ?? (parts.length >= 2 ? ['total', ...parts] : ['total']);
  const prefix = options.name === undefined ? '' : `${options.name} `;
  const x = history.map((h) => h.epoch);
  const curves = terms.flatMap((term) => {
    if (!(term in history[0].train)) throw new Error(`lossCurves: no loss term "${term}" (terms: ${Object.keys(history[0].train).join(', ')})`);
    const label = term === 'total' ? 'loss' : term;
    const train = { name: `${prefix}${label} (train)`, x, y: history.map((h) => h.train[term]) };
    const hasValidation = history.every((h) => h.validation?.[term] !== undefined);
    return hasValidation ? [train, { name: `${prefix}${label} (validation)`, x, y: history.map((h) => h.validation?.[term] ?? Number.NaN), dashed: true }] : [train];
  });
  return lineChart({ title: options.title, xTitle: 'epoch', yTitle: options.yTitle ?? 'loss per example', curves, logY: options.logY });
}

/** Options of `latentScatter`. */
export interface LatentScatterOptions {
  title: string;
  /** The two code dimensions to plot. Default [0, 1]. */
  dims?: readonly [number, number];
  labelNames?: readonly string[];
  /** Axis name stem. Default `z`, giving `z1` and `z2`. */
  axisName?: string;
}

/** A 2-D scatter of codes coloured by label (two chosen dimensions of an embedding). */
export function latentScatter(embedding: Embedding, labels: ArrayLike<number>, options: LatentScatterOptions): FigureSpec {
  const [a, b] = options.dims ?? [0, 1];
  for (const d of [a, b]) {
    if (!Number.isInteger(d) || d < 0 || d >= embedding.latentDim) throw new Error(`latentScatter: dimension ${d} outside 0..${embedding.latentDim - 1}`);
  }
  if (labels.length !== embedding.count) throw new Error(`latentScatter: ${labels.length} labels for ${embedding.count} codes`);
  const x = new Float32Array(embedding.count);
  const y = new Float32Array(embedding.count);
  for (let i = 0; i < embedding.count; i++) {
    x[i] = embedding.z[i * embedding.latentDim + a];
    y[i] = embedding.z[i * embedding.latentDim + b];
  }
  const axis = options.axisName ?? 'z';
  return scatterByLabel({ title: options.title, xTitle: `${axis}${a + 1}`, yTitle: `${axis}${b + 1}`, x, y, labels, labelNames: options.labelNames });
}
