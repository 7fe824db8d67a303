// Metrics of classifiers and detectors: the confusion matrix, rates at a threshold, the ROC curve and
// its area, precision-recall and average precision, RMSE. Scores are "higher means positive".

function checkBinary(scores: ArrayLike<number>, labels: ArrayLike<number>, what: string): { positives: number; negatives: number } {
  if (scores.length !== labels.length) throw new Error(`${what}: ${scores.length} scores for ${labels.length} labels`);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`${what}: labels must be 0 or 1, got ${labels[i]} at ${i}`);
    if (Number.isNaN(scores[i])) throw new Error(`${what}: score ${i} is NaN`);
    positives += labels[i];
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) throw new Error(`${what}: needs both classes, got ${positives} positives and ${negatives} negatives`);
  return { positives, negatives };
}

/**
 * The confusion matrix: `matrix[t][p]` counts the examples of true class `t` predicted as `p`, for
 * classes 0..classCount-1 (default: the largest label or prediction plus one).
 */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, classCount?: number): number[][] {
  if (predicted.length !== labels.length) throw new Error(`confusionMatrix: ${predicted.length} predictions for ${labels.length} labels`);
  let largest = -1;
  for (let i = 0; i < labels.length; i++) {
    for (const v of [predicted[i], labels[i]]) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`confusionMatrix: classes must be non-negative integers, got ${v} at ${i}`);
      largest = Math.max(largest, v);
    }
  }
  const n = classCount ?? largest + 1;
  if (largest >= n) throw new Error(`confusionMatrix: class ${largest} outside 0..${n - 1}`);
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < labels.length; i++) matrix[labels[i]][predicted[i]]++;
  return matrix;
}

/** Counts and rates of a detector that calls an example positive when its score is at least `threshold`. */
export interface ThresholdRates {
  threshold: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  /** TP / (TP + FN): the share of positives found (recall, sensitivity). */
  tpr: number;
  /** FP / (FP + TN): the share of negatives wrongly flagged. */
  fpr: number;
  /** TP / (TP + FP); 1 when nothing is called positive. */
  precision: number;
  accuracy: number;
}

/**
 * Rates at one threshold: an example is called positive when `score >= threshold`. Precision is
 * reported as 1 when nothing is called positive (no false alarm was made).
 */
export function ratesAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdRates {
  const { positives, negatives } = checkBinary(scores, labels, 'ratesAt');
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= threshold) {
      if (labels[i] === 1) tp++;
      else fp++;
    }
  }
  const fn = positives - tp;
  const tn = negatives - fp;
  return { threshold, truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn, tpr: tp / positives, fpr: fp / negatives, precision: tp + fp === 0 ? 1 : tp / (tp + fp), accuracy: (tp + tn) / scores.length };
}

/**
 * The threshold that finds the most positives while flagging at most a `maxFpr` share of the
 * negatives: the lowest threshold on the ROC curve whose false-positive rate is at most `maxFpr`
 * (`+Infinity`, calling nothing positive, when even the highest score's does not qualify). Choose it
 * on validation data, then report `ratesAt` that threshold on test data.
 */
export function thresholdAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, maxFpr: number): ThresholdRates {
  if (typeof maxFpr !== 'number' || !(maxFpr >= 0 && maxFpr <= 1)) throw new Error(`thresholdAtFpr: maxFpr must be a number in [0, 1], got ${String(maxFpr)}`);
  const { fpr, thresholds } = rocCurve(scores, labels);
  let chosen = 0;
  for (let p = 0; p < fpr.length && fpr[p] <= maxFpr; p++) chosen = p;
  return ratesAt(scores, labels, thresholds[chosen]);
}

/** Examples sorted by decreasing score, with the indices where each run of equal scores ends. */
function byDecreasingScore(scores: ArrayLike<number>): { order: number[]; ends: number[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const ends: number[] = [];
  for (let i = 0; i < order.length; i++) if (i === order.length - 1 || scores[order[i + 1]] !== scores[order[i]]) ends.push(i + 1);
  return { order, ends };
}

/** The ROC curve: one point per distinct score, plus (0, 0) at threshold +Infinity. */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** The threshold of each point: examples with `score >= threshold` are called positive. */
  thresholds: Float64Array;
}

/**
 * The receiver operating characteristic: the true-positive rate against the false-positive rate as
 * the threshold falls through every distinct score. Tied scores move together (one diagonal step),
 * as scikit-learn's `roc_curve` with `drop_intermediate=False`.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const { positives, negatives } = checkBinary(scores, labels, 'rocCurve');
  const { order, ends } = byDecreasingScore(scores);
  const fpr = new Float64Array(ends.length + 1);
  const tpr = new Float64Array(ends.length + 1);
  const thresholds = new Float64Array(ends.length + 1);
  thresholds[0] = Infinity;
  let tp = 0;
  let fp = 0;
  let start = 0;
  ends.forEach((end, p) => {
    for (let i = start; i < end; i++) {
      if (labels[order[i]] === 1) tp++;
      else fp++;
    }
    fpr[p + 1] = fp / negatives;
    tpr[p + 1] = tp / positives;
    thresholds[p + 1] = scores[order[end - 1]];
    start = end;
  });
  return { fpr, tpr, thresholds };
}

/**
 * The area under the ROC curve (trapezoids, so tied scores count half): the probability that a
 * random positive scores above a random negative, ties counting one half.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { fpr, tpr } = rocCurve(scores, labels);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return area;
}

/** Precision and recall at every distinct score, highest threshold first. */
export interface PrecisionRecallCurve {
  precision: Float64Array;
  recall: Float64Array;
  thresholds: Float64Array;
}

/** Precision and recall as the threshold falls through every distinct score (tied scores together). */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrecisionRecallCurve {
  const { positives } = checkBinary(scores, labels, 'precisionRecallCurve');
  const { order, ends } = byDecreasingScore(scores);
  const precision = new Float64Array(ends.length);
  const recall = new Float64Array(ends.length);
  const thresholds = new Float64Array(ends.length);
  let tp = 0;
  let start = 0;
  ends.forEach((end, p) => {
    for (let i = start; i < end; i++) if (labels[order[i]] === 1) tp++;
    precision[p] = tp / end;
    recall[p] = tp / positives;
    thresholds[p] = scores[order[end - 1]];
    start = end;
  });
  return { precision, recall, thresholds };
}

/**
 * Average precision, as scikit-learn's `average_precision_score`: the sum over thresholds of the
 * precision times the recall gained there, sum_n (R_n - R_{n-1}) P_n (no interpolation).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(scores, labels);
  let sum = 0;
  let previous = 0;
  for (let i = 0; i < recall.length; i++) {
    sum += (recall[i] - previous) * precision[i];
    previous = recall[i];
  }
  return sum;
}

/** Root-mean-square error between two equally long series. */
export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length) throw new Error(`rmse: ${predicted.length} predictions for ${actual.length} values`);
  if (actual.length === 0) throw new Error('rmse: no values');
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (predicted[i] - actual[i]) ** 2;
  const value = Math.sqrt(sum / actual.length);
  if (Number.isNaN(value)) throw new Error('rmse: a value is NaN');
  return value;
}
