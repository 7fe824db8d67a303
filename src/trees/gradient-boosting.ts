// Gradient-boosted decision trees for binary classification, as LightGBM builds them: F_0 is the
// log-odds of the (weighted) positive rate; each round fits a histogram regression tree to the
// gradients g = p - y and hessians h = p(1 - p) of the log-loss at the current scores, with leaf
// values w = -G / (H + lambdaL2), split gain 1/2 [G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) -
// G^2/(H+lambda)], and adds learningRate times the tree to the scores.
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import { checkMaxBins, FeatureBinner } from './binning';
import { leafOfBinnedRow, leafOfRow } from './regression-tree';
import type { RegressionTree } from './regression-tree';
import { checkBinaryLabels, checkNoNaN, checkTable, checkWeights } from './tabular';
import type { LabelledTabularData, TabularData } from './tabular';
import { HistogramTreeLearner } from './tree-learner';
import type { TreeGrowth, TreeSettings } from './tree-learner';

/** A validation table for early stopping: `{ x, rows, cols, labels (0/1), weights? }` (LightGBM `valid_sets`). */
export interface ValidationSet extends LabelledTabularData {
  /** Per-row weights of the validation log-loss; default 1 each. */
  weights?: ArrayLike<number>;
}

/**
 * Options of `GradientBoostedTrees.fit`, named after LightGBM's parameters (given for each) and with
 * LightGBM's defaults.
 */
export interface GradientBoostingOptions {
  /** Boosting rounds, one tree each (LightGBM `num_iterations`). Default 100. */
  rounds?: number;
  /** Shrinkage eta: each tree's leaf values are multiplied by it (LightGBM `learning_rate`). Default 0.1. */
  learningRate?: number;
  /** Most leaves per tree, at least 2 (LightGBM `num_leaves`). Default 31. */
  numLeaves?: number;
  /** Deepest a leaf may be, the root's children having depth 1; -1 for no limit (LightGBM `max_depth`). Default -1. */
  maxDepth?: number;
  /** `leaf-wise` (LightGBM's only growth: the leaf of largest gain splits next) or `depth-wise` (level by level). Default `leaf-wise`. */
  growth?: TreeGrowth;
  /** Fewest training rows in a leaf (LightGBM `min_data_in_leaf`; LightGBM estimates the count from the hessians, this counts rows). Default 20. */
  minDataInLeaf?: number;
  /** Smallest hessian sum in a leaf (LightGBM `min_sum_hessian_in_leaf`). Default 1e-3. */
  minSumHessianInLeaf?: number;
  /** L2 penalty lambda on leaf values (LightGBM `lambda_l2`). Default 0. */
  lambdaL2?: number;
  /** Most histogram bins per feature, 2..256 (LightGBM `max_bin`). Default 255. */
  maxBins?: number;
  /** Per-row weights multiplying each row's gradient and hessian (LightGBM Dataset `weight`); default 1 each. */
  weights?: ArrayLike<number>;
  /** Scored after every round with the log-loss (LightGBM `valid_sets`, metric `binary_logloss`). */
  validation?: ValidationSet;
  /**
   * Stop when the validation log-loss has not improved for this many rounds and keep only the trees
   * up to its best round (LightGBM `early_stopping_round`). Needs `validation`. Default: off.
   */
  earlyStoppingRounds?: number;
  /** Share of the features each tree may split on, drawn per tree (LightGBM `feature_fraction`). Default 1. */
  featureFraction?: number;
  /** Share of the rows each tree is grown on, drawn without replacement (LightGBM `bagging_fraction`). Default 1. */
  baggingFraction?: number;
  /** Draw a new bag every this many rounds; 0 turns bagging off (LightGBM `bagging_freq`). Default 0. */
  baggingFreq?: number;
  /** Seed of the feature and row draws (LightGBM `seed`; the draws differ from LightGBM's). Default 0. */
  seed?: number;
  /**
   * Take the larger child's histogram as parent minus the smaller child's (LightGBM always does);
   * false builds both from their rows, slower, for checking. Default true.
   */
  histogramSubtraction?: boolean;
}

/** Log-loss after each round trained (weighted means): `{ trainLoss, validationLoss? }`, one entry per round. */
export interface BoostingHistory {
  trainLoss: number[];
  /** Present when `validation` was given. */
  validationLoss?: number[];
}

/** Per feature, how often it was split on and the total gain of those splits (half LightGBM's `importance_type='gain'`). */
export interface FeatureImportance {
  splits: Int32Array;
  gain: Float64Array;
}

/** Options of prediction and feature importance. */
export interface BoostingPredictOptions {
  /** Use the first k trees only, 0..trees.length (LightGBM `num_iteration`). Default: every tree kept. */
  numIteration?: number;
}

interface ResolvedOptions extends TreeSettings {
  rounds: number;
  maxBins: number;
  featureFraction: number;
  baggingFraction: number;
  baggingFreq: number;
  earlyStoppingRounds: number;
  seed: number;
}

const fitName = 'GradientBoostedTrees.fit';

function checkFraction(value: number, what: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) throw new Error(`${what} must be a number in (0, 1], got ${String(value)}`);
  return value;
}

function checkNonNegative(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${what} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

function checkNonNegativeInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be an integer >= 0, got ${String(value)}`);
  return value;
}

function resolveOptions(options: GradientBoostingOptions): ResolvedOptions {
  const name = (key: string): string => `${fitName}: options.${key}`;
  const numLeaves = options.numLeaves ?? 31;
  if (!Number.isSafeInteger(numLeaves) || numLeaves < 2) throw new Error(`${name('numLeaves')} must be an integer >= 2, got ${String(numLeaves)}`);
  const maxDepth = options.maxDepth ?? -1;
  if (maxDepth !== -1) checkPositiveInt(maxDepth, `${name('maxDepth')} (-1 for no limit)`);
  const growth = options.growth ?? 'leaf-wise';
  if (growth !== 'leaf-wise' && growth !== 'depth-wise') throw new Error(`${name('growth')} must be 'leaf-wise' or 'depth-wise', got ${String(growth)}`);
  const learningRate = options.learningRate ?? 0.1;
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) throw new Error(`${name('learningRate')} must be a finite number > 0, got ${String(learningRate)}`);
  const maxBins = options.maxBins ?? 255;
  checkMaxBins(maxBins, name('maxBins'));
  const earlyStoppingRounds = options.earlyStoppingRounds ?? 0;
  if (options.earlyStoppingRounds !== undefined) {
    checkPositiveInt(earlyStoppingRounds, name('earlyStoppingRounds'));
    if (options.validation === undefined) throw new Error(`${name('earlyStoppingRounds')} is ${earlyStoppingRounds} but options.validation is missing: early stopping needs a validation set`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new Error(`${name('seed')} must be an integer, got ${String(seed)}`);
  const histogramSubtraction = options.histogramSubtraction ?? true;
  if (typeof histogramSubtraction !== 'boolean') throw new Error(`${name('histogramSubtraction')} must be true or false, got ${String(histogramSubtraction)}`);
  return {
    rounds: checkPositiveInt(options.rounds ?? 100, name('rounds')),
    learningRate,
    numLeaves,
    maxDepth,
    growth,
    minDataInLeaf: checkNonNegativeInt(options.minDataInLeaf ?? 20, name('minDataInLeaf')),
    minSumHessianInLeaf: checkNonNegative(options.minSumHessianInLeaf ?? 1e-3, name('minSumHessianInLeaf')),
    lambdaL2: checkNonNegative(options.lambdaL2 ?? 0, name('lambdaL2')),
    maxBins,
    featureFraction: checkFraction(options.featureFraction ?? 1, name('featureFraction')),
    baggingFraction: checkFraction(options.baggingFraction ?? 1, name('baggingFraction')),
    baggingFreq: checkNonNegativeInt(options.baggingFreq ?? 0, name('baggingFreq')),
    earlyStoppingRounds,
    seed,
    histogramSubtraction,
  };
}

/**
 * The (weighted) mean log-loss of scores F against 0/1 labels, softplus(F) - y F per row; when
 * `grad` and `hess` are given, also the log-loss's gradient w (p - y) and hessian w p (1 - p) per
 * row, from the same exponential.
 */
function logLoss(score: Float64Array, labels: Uint8Array, weights: Float64Array | null, grad?: Float64Array, hess?: Float64Array): number {
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < score.length; i++) {
    const f = score[i];
    // exp(-|F|) never overflows: softplus and p are written in terms of it on either side of 0.
    const e = Math.exp(f > 0 ? -f : f);
    const softplus = (f > 0 ? f : 0) + Math.log1p(e);
    const w = weights === null ? 1 : weights[i];
    const y = labels[i];
    total += w * (y === 1 ? softplus - f : softplus);
    weightSum += w;
    if (grad !== undefined && hess !== undefined) {
      const p = f > 0 ? 1 / (1 + e) : e / (1 + e);
      grad[i] = w * (p - y);
      hess[i] = w * p * (1 - p);
    }
  }
  return total / weightSum;
}

/** Log-odds of the weighted positive rate: the constant F_0 that minimises the training log-loss (LightGBM `boost_from_average`). */
function initialScore(labels: Uint8Array, weights: Float64Array | null): number {
  let positive = 0;
  let negative = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights === null ? 1 : weights[i];
    if (labels[i] === 1) positive += w;
    else negative += w;
  }
  if (!(positive > 0 && negative > 0)) {
    const which = positive > 0 ? 'positive (1)' : 'negative (0)';
    throw new Error(`${fitName}: every ${weights === null ? '' : 'positively weighted '}row of data.labels is ${which}; a binary classifier needs both classes`);
  }
  return Math.log(positive / negative);
}

/**
 * A gradient-boosted tree ensemble for binary classification (LightGBM's `objective='binary'`):
 * `GradientBoostedTrees.fit(data, options)` trains it; `predictProba` and `predictRaw` score new
 * rows; `featureImportance`, `history`, `bestIteration` and `trees` describe it.
 */
export class GradientBoostedTrees {
  /** F_0, the log-odds of the training positive rate, added to every prediction. */
  readonly initScore: number;
  /** The trees kept: every round trained, or with early stopping those up to the best round. */
  readonly trees: readonly RegressionTree[];
  /** The number of trees kept (LightGBM's `best_iteration` when early stopping, else every round). */
  readonly bestIteration: number;
  /** Training and validation log-loss after each round trained, including rounds past the best. */
  readonly history: BoostingHistory;
  /** Columns of the training data, expected of every table predicted. */
  readonly cols: number;

  private constructor(initScore: number, trees: RegressionTree[], history: BoostingHistory, cols: number) {
    this.initScore = initScore;
    this.trees = trees;
    this.bestIteration = trees.length;
    this.history = history;
    this.cols = cols;
  }

  /**
   * Trains on `data` (`{ x, rows, cols, labels }`, labels 0/1, no NaN in x). Training stops before
   * `rounds` when early stopping triggers or, as in LightGBM, when a round's tree cannot split.
   */
  static fit(data: LabelledTabularData, options: GradientBoostingOptions = {}): GradientBoostedTrees {
    checkTable(data, `${fitName}: data`);
    const settings = resolveOptions(options);
    const { rows, cols } = data;
    const labels = checkBinaryLabels(data.labels, rows, `${fitName}: data.labels`);
    checkNoNaN(data, `${fitName}: data`);
    const weights = options.weights === undefined ? null : checkWeights(options.weights, rows, `${fitName}: options.weights`);
    const validation = options.validation === undefined ? null : checkValidation(options.validation, cols);
    const initScore = initialScore(labels, weights);

    const binner = FeatureBinner.fit(data, { maxBins: settings.maxBins });
    const { bins } = binner.transform(data);
    const learner = new HistogramTreeLearner(bins, binner.upperBounds, rows, settings);
    const score = new Float64Array(rows).fill(initScore);
    const grad = new Float64Array(rows);
    const hess = new Float64Array(rows);
    const validationBins = validation === null ? null : binner.transform(validation.data).bins;
    const validationScore = validation === null ? null : new Float64Array(validation.data.rows).fill(initScore);

    const random = new Random(settings.seed);
    const bagging = settings.baggingFraction < 1 && settings.baggingFreq > 0;
    const bagSize = Math.max(1, Math.floor(settings.baggingFraction * rows));
    const bag = bagging ? new Int32Array(bagSize) : null;
    const bagPool = bagging ? Int32Array.from({ length: rows }, (_, i) => i) : null;
    const inBag = bagging ? new Uint8Array(rows) : null;
    const featureUsed = new Uint8Array(cols).fill(1);
    const usedFeatures = Math.max(1, Math.round(settings.featureFraction * cols));

    const trees: RegressionTree[] = [];
    const trainLoss: number[] = [];
    const validationLoss: number[] = [];
    let bestLoss = Infinity;
    let bestRound = 0;
    for (let round = 0; round < settings.rounds; round++) {
      // The loss of the scores the gradients are taken at is the previous round's training loss.
      const loss = logLoss(score, labels, weights, grad, hess);
      if (round > 0) trainLoss.push(loss);
      if (bag !== null && bagPool !== null && inBag !== null && round % settings.baggingFreq === 0) {
        // A partial Fisher-Yates shuffle draws the bag; sorted, it keeps the bins read forward.
        for (let i = 0; i < bagSize; i++) {
          const j = i + random.int(rows - i);
          const t = bagPool[i];
          bagPool[i] = bagPool[j];
          bagPool[j] = t;
        }
        bag.set(bagPool.subarray(0, bagSize));
        bag.sort();
        inBag.fill(0);
        for (let i = 0; i < bagSize; i++) inBag[bag[i]] = 1;
      }
      if (usedFeatures < cols) {
        featureUsed.fill(0);
        const order = random.permutation(cols);
        for (let k = 0; k < usedFeatures; k++) featureUsed[order[k]] = 1;
      }
      const tree = learner.grow(grad, hess, bag, bagSize, featureUsed);
      if (tree.numLeaves === 1) break;
      trees.push(tree);
      learner.addToScores(score, tree);
      if (inBag !== null) {
        for (let r = 0; r < rows; r++) if (inBag[r] === 0) score[r] += tree.leafValue[leafOfBinnedRow(tree, bins, r)];
      }
      if (validation !== null && validationBins !== null && validationScore !== null) {
        for (let r = 0; r < validationScore.length; r++) validationScore[r] += tree.leafValue[leafOfBinnedRow(tree, validationBins, r)];
        const loss = logLoss(validationScore, validation.labels, validation.weights);
        validationLoss.push(loss);
        if (settings.earlyStoppingRounds > 0) {
          if (loss < bestLoss) {
            bestLoss = loss;
            bestRound = trees.length;
          } else if (trees.length - bestRound >= settings.earlyStoppingRounds) break;
        }
      }
    }
    if (trainLoss.length < trees.length) trainLoss.push(logLoss(score, labels, weights));
    const kept = settings.earlyStoppingRounds > 0 ? trees.slice(0, bestRound) : trees;
    const history: BoostingHistory = validation === null ? { trainLoss } : { trainLoss, validationLoss };
    return new GradientBoostedTrees(initScore, kept, history, cols);
  }

  /** The margin F(x) = F_0 + sum of the trees' leaf values, one per row of `data`. */
  predictRaw(data: TabularData, options: BoostingPredictOptions = {}): Float64Array {
    return this.margins(data, this.checkPredict(data, options, 'predictRaw'));
  }

  /** The probability of label 1, the sigmoid of `predictRaw`, one per row of `data`. */
  predictProba(data: TabularData, options: BoostingPredictOptions = {}): Float64Array {
    const out = this.margins(data, this.checkPredict(data, options, 'predictProba'));
    for (let r = 0; r < out.length; r++) out[r] = 1 / (1 + Math.exp(-out[r]));
    return out;
  }

  /** Split counts and total split gain per feature over the trees kept (or the first `numIteration`). */
  featureImportance(options: BoostingPredictOptions = {}): FeatureImportance {
    const count = this.iterations(options, 'featureImportance');
    const splits = new Int32Array(this.cols);
    const gain = new Float64Array(this.cols);
    for (let t = 0; t < count; t++) {
      const tree = this.trees[t];
      for (let k = 0; k < tree.splitFeature.length; k++) {
        splits[tree.splitFeature[k]]++;
        gain[tree.splitFeature[k]] += tree.splitGain[k];
      }
    }
    return { splits, gain };
  }

  private margins(data: TabularData, count: number): Float64Array {
    const { x, rows, cols } = data;
    const out = new Float64Array(rows).fill(this.initScore);
    for (let t = 0; t < count; t++) {
      const tree = this.trees[t];
      const values = tree.leafValue;
      for (let r = 0; r < rows; r++) out[r] += values[leafOfRow(tree, x, r, cols)];
    }
    return out;
  }

  private checkPredict(data: TabularData, options: BoostingPredictOptions, method: string): number {
    const what = `GradientBoostedTrees.${method}: data`;
    checkTable(data, what);
    if (data.cols !== this.cols) throw new Error(`${what}.cols is ${data.cols}, expected ${this.cols} (the training columns)`);
    checkNoNaN(data, what);
    return this.iterations(options, method);
  }

  private iterations(options: BoostingPredictOptions, method: string): number {
    const count = options.numIteration ?? this.trees.length;
    if (!Number.isSafeInteger(count) || count < 0 || count > this.trees.length) {
      throw new Error(`GradientBoostedTrees.${method}: options.numIteration must be an integer in 0..${this.trees.length} (the trees kept), got ${String(count)}`);
    }
    return count;
  }
}

function checkValidation(validation: ValidationSet, cols: number): { data: ValidationSet; labels: Uint8Array; weights: Float64Array | null } {
  const what = `${fitName}: options.validation`;
  checkTable(validation, what);
  if (validation.cols !== cols) throw new Error(`${what}.cols is ${validation.cols}, expected ${cols} (the training columns)`);
  checkNoNaN(validation, what);
  const labels = checkBinaryLabels(validation.labels, validation.rows, `${what}.labels`);
  const weights = validation.weights === undefined ? null : checkWeights(validation.weights, validation.rows, `${what}.weights`);
  return { data: validation, labels, weights };
}
