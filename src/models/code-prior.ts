import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import { DenseStack } from '../nn/dense-stack';
import { ParameterScope } from '../nn/params';
import type { LayerSummary } from '../nn/summary';
import type { LossOptions, LossTerms, TrainBatch } from './model';
import { NetworkModel } from './model';

/** The shape of the discrete codes a prior models: a grid of `rows x cols` positions, each an index in 0..K-1. */
export interface CodeGrid {
  rows: number;
  cols: number;
  codebookSize: number;
}

function checkGrid(grid: CodeGrid): CodeGrid {
  return { rows: checkPositiveInt(grid.rows, 'rows'), cols: checkPositiveInt(grid.cols, 'cols'), codebookSize: checkPositiveInt(grid.codebookSize, 'codebookSize') };
}

function checkCodes(codes: ArrayLike<number>, count: number, grid: CodeGrid, what: string): void {
  const positions = grid.rows * grid.cols;
  if (!Number.isSafeInteger(count) || count <= 0 || codes.length !== count * positions) throw new Error(`${what}: expected ${count} codes of ${positions} positions (${count * positions} indices), got ${codes.length}`);
  for (let i = 0; i < codes.length; i++) {
    const k = codes[i];
    if (!Number.isInteger(k) || k < 0 || k >= grid.codebookSize) throw new Error(`${what}: index ${i} is ${k}, expected an integer in 0..${grid.codebookSize - 1}`);
  }
}

/** A draw from the discrete distribution `p` (`p[offset..offset+K-1]`, summing to 1) by the inverse CDF. */
function drawIndex(p: ArrayLike<number>, offset: number, K: number, u: number): number {
  let cumulative = 0;
  for (let k = 0; k < K; k++) {
    cumulative += p[offset + k];
    if (u < cumulative) return k;
  }
  // Rounding left the sum a little under 1: the last word with any probability.
  for (let k = K - 1; k >= 0; k--) if (p[offset + k] > 0) return k;
  return K - 1;
}

/**
 * The simplest prior over code grids: each position independent, with its own categorical
 * distribution over the K code words, fitted by counting (plus a pseudocount, so that no word has
 * probability zero). Its log-likelihood is the sum over positions.
 */
export class CategoricalCodePrior {
  readonly grid: CodeGrid;
  /** `[positions, K]` row-major: p(k at position). */
  readonly probabilities: Float64Array;

  private constructor(grid: CodeGrid, probabilities: Float64Array) {
    this.grid = grid;
    this.probabilities = probabilities;
  }

  /** Fits the per-position frequencies of `count` codes (`count x positions` indices, row by row). */
  static fit(codes: ArrayLike<number>, count: number, grid: CodeGrid, options: { pseudocount?: number } = {}): CategoricalCodePrior {
    const g = checkGrid(grid);
    checkCodes(codes, count, g, 'CategoricalCodePrior.fit');
    const pseudocount = options.pseudocount ?? 1;
    if (!(pseudocount > 0) || !Number.isFinite(pseudocount)) throw new Error(`pseudocount must be a positive number, got ${pseudocount}`);
    const positions = g.rows * g.cols;
    const K = g.codebookSize;
    const p = new Float64Array(positions * K).fill(pseudocount);
    for (let i = 0; i < count; i++) for (let j = 0; j < positions; j++) p[j * K + codes[i * positions + j]] += 1;
    const total = count + K * pseudocount;
    for (let i = 0; i < p.length; i++) p[i] /= total;
    return new CategoricalCodePrior(g, p);
  }

  /** log p(code) in nats for each of `count` codes. */
  logLikelihood(codes: ArrayLike<number>, count: number): Float64Array {
    checkCodes(codes, count, this.grid, 'CategoricalCodePrior.logLikelihood');
    const positions = this.grid.rows * this.grid.cols;
    const K = this.grid.codebookSize;
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let j = 0; j < positions; j++) sum += Math.log(this.probabilities[j * K + codes[i * positions + j]]);
      out[i] = sum;
    }
    return out;
  }

  /** `count` codes drawn position by position, seeded: `count x positions` indices. */
  sample(count: number, seed: number): Int32Array {
    checkPositiveInt(count, 'count');
    const random = new Random(seed);
    const positions = this.grid.rows * this.grid.cols;
    const K = this.grid.codebookSize;
    const out = new Int32Array(count * positions);
    for (let i = 0; i < count; i++) for (let j = 0; j < positions; j++) out[i * positions + j] = drawIndex(this.probabilities, j * K, K, random.next());
    return out;
  }
}

/** Config of `AutoregressiveCodePrior`. */
export interface AutoregressiveCodePriorConfig extends CodeGrid {
  /** Width of the hidden layer. Default 128. */
  hiddenSize?: number;
  /** Seed of the initial weights. */
  seed: number;
}

/** The neighbours each position is predicted from, all before it in raster order: left, up-left, up, up-right. */
const contextOffsets: readonly [number, number][] = [[0, -1], [-1, -1], [-1, 0], [-1, 1]];

/**
 * A small autoregressive prior over code grids, a simple stand-in for the VQ-VAE's PixelCNN:
 * positions in raster order, p(code) = prod_i p(k_i | k_<i), where p(k_i | ...) is a softmax over
 * the K words computed by a one-hidden-layer network from the words at four earlier neighbours
 * (left, up-left, up, up-right; a start token K outside the grid) and the position itself, all as
 * one-hot inputs. Trained with the trainer on a dataset whose `x` holds the codes (indices as
 * numbers, `[count, positions]`): the loss is -log p(code) in nats per code, all positions at once.
 * Sampling runs position by position.
 */
export class AutoregressiveCodePrior extends NetworkModel {
  readonly name = 'autoregressive-code-prior';
  declare readonly config: Readonly<Required<AutoregressiveCodePriorConfig>>;
  readonly grid: CodeGrid;
  private readonly network: DenseStack;
  private readonly positionCodes: tf.Tensor2D;

  constructor(config: AutoregressiveCodePriorConfig) {
    const grid = checkGrid(config);
    const full: Required<AutoregressiveCodePriorConfig> = { ...grid, hiddenSize: checkPositiveInt(config.hiddenSize ?? 128, 'hiddenSize'), seed: config.seed };
    const positions = grid.rows * grid.cols;
    const scope = ParameterScope.create('code-prior', full.seed);
    const network = new DenseStack(scope, { inputDim: contextOffsets.length * (grid.codebookSize + 1) + positions, widths: [full.hiddenSize, grid.codebookSize], layerNames: ['hidden', 'logits'] });
    super([network]);
    this.config = full;
    this.grid = grid;
    this.network = network;
    this.positionCodes = tf.keep(tf.eye(positions) as tf.Tensor2D);
  }

  /** Positions per code. */
  get positions(): number {
    return this.grid.rows * this.grid.cols;
  }

  /** The network's input for every position of `codes` `[batch, positions]` (indices as numbers): `[batch x positions, features]`. */
  private context(codes: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const { rows, cols, codebookSize: K } = this.grid;
      const batch = codes.shape[0];
      const grid = codes.toFloat().reshape([batch, rows, cols]) as tf.Tensor3D;
      // One row of start tokens above, one column on each side.
      const padded = tf.pad(grid, [[0, 0], [1, 0], [1, 1]], K);
      const parts = contextOffsets.map(([dr, dc]) => tf.oneHot(padded.slice([0, 1 + dr, 1 + dc], [batch, rows, cols]).toInt().reshape([-1]) as tf.Tensor1D, K + 1));
      const position = tf.tile(this.positionCodes, [batch, 1]);
      return tf.concat([...parts.map((p) => p.toFloat()), position], 1) as tf.Tensor2D;
    });
  }

  /** Logits `[batch, positions, K]` of p(k_i | k_<i) for every position of `codes`. */
  logits(codes: tf.Tensor, options: { training?: boolean } = {}): tf.Tensor3D {
    if (codes.rank !== 2 || codes.shape[1] !== this.positions) throw new Error(`code prior: expected codes [batch, ${this.positions}], got [${codes.shape.join(', ')}]`);
    return tf.tidy(() => this.network.apply(this.context(codes), options).reshape([codes.shape[0], this.positions, this.grid.codebookSize]) as tf.Tensor3D);
  }

  /** log p(code) in nats of each row of `codes` `[batch, positions]` (indices as numbers): `[batch]`. */
  private logProbability(codes: tf.Tensor, training = false): tf.Tensor1D {
    return tf.tidy(() => {
      const logits = this.logits(codes, { training });
      const target = tf.oneHot(codes.toInt().reshape([-1]) as tf.Tensor1D, this.grid.codebookSize).toFloat().reshape(logits.shape);
      return target.mul(tf.logSoftmax(logits)).sum([1, 2]) as tf.Tensor1D;
    });
  }

  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    return tf.tidy(() => {
      const nll = this.logProbability(batch.x, options.training === true).mean().neg() as tf.Scalar;
      return { total: nll, nll: nll.clone() };
    });
  }

  /** log p(code) in nats for each of `count` codes (`count x positions` indices). */
  async logLikelihood(codes: ArrayLike<number>, count: number, options: { batchSize?: number } = {}): Promise<Float64Array> {
    checkCodes(codes, count, this.grid, 'AutoregressiveCodePrior.logLikelihood');
    const batchSize = checkPositiveInt(options.batchSize ?? 500, 'batchSize');
    const P = this.positions;
    const out = new Float64Array(count);
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const values = tf.tidy(() => this.logProbability(tf.tensor2d(Float32Array.from({ length: size * P }, (_, i) => codes[start * P + i]), [size, P])));
      out.set(await values.data(), start);
      values.dispose();
    }
    return out;
  }

  /** `count` codes drawn in raster order, each position from p(k_i | the positions drawn before it), seeded. */
  async sample(count: number, seed: number): Promise<Int32Array> {
    checkPositiveInt(count, 'count');
    const random = new Random(seed);
    const P = this.positions;
    const K = this.grid.codebookSize;
    const codes = new Int32Array(count * P);
    for (let i = 0; i < P; i++) {
      const probabilities = tf.tidy(() => {
        const x = tf.tensor2d(Float32Array.from(codes), [count, P]);
        return tf.softmax(this.logits(x).slice([0, i, 0], [count, 1, K]).reshape([count, K]));
      });
      const p = await probabilities.data();
      probabilities.dispose();
      for (let s = 0; s < count; s++) codes[s * P + i] = drawIndex(p, s * K, K, random.next());
    }
    return codes;
  }

  summary(): LayerSummary[] {
    return this.network.summary();
  }

  override dispose(): void {
    this.positionCodes.dispose();
    super.dispose();
  }
}
