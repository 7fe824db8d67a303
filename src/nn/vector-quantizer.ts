import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { Random } from '../core/random';
import type { ApplyOptions, Network } from './network';
import type { NamedVariable, ParameterScope } from './params';

/** Config of `VectorQuantizer`. */
export interface VectorQuantizerConfig {
  /** K: the number of code words. */
  readonly codebookSize: number;
  /** D: the length of a code word (and of each vector quantised). */
  readonly codeDim: number;
}

/** The quantiser's output for `N` vectors. */
export interface Quantized {
  /** int32 `[N]`: the index k of each vector's nearest code word. */
  readonly indices: tf.Tensor1D;
  /** `[N, D]`: the code words e_k themselves (no straight-through: the caller decides the gradient). */
  readonly codes: tf.Tensor2D;
}

/**
 * The index of the nearest row of `codebook` `[K, D]` to each row of `vectors` `[N, D]` in
 * Euclidean distance: argmin_k ||v - e_k||^2 = argmin_k (||e_k||^2 - 2 v . e_k), as int32 `[N]`.
 */
export function nearestCode(vectors: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor1D {
  if (vectors.rank !== 2 || codebook.rank !== 2 || vectors.shape[1] !== codebook.shape[1]) {
    throw new Error(`nearestCode: vectors [N, D] and codebook [K, D] must share D, got [${vectors.shape.join(', ')}] and [${codebook.shape.join(', ')}]`);
  }
  return tf.tidy(() => codebook.square().sum(1).expandDims(0).sub(vectors.matMul(codebook, false, true).mul(2)).argMin(1).toInt()) as tf.Tensor1D;
}

/**
 * The rows `indices` of `codebook`, `[N, D]`, as a one-hot matrix times the codebook: its gradient
 * reaches the codebook on every backend (TF.js's `gather` gradient needs a kernel the wasm and
 * native backends lack).
 */
export function lookupCodes(indices: tf.Tensor1D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(indices, codebook.shape[0]).matMul(codebook) as tf.Tensor2D);
}

/**
 * The perplexity of code use, exp(H) with H = -sum_k p_k log p_k and p the normalised `counts`:
 * the number of equally used code words that would give the same entropy (1 when one word takes
 * every vector, K when all K are used equally).
 */
export function perplexity(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    if (!(counts[i] >= 0)) throw new Error(`perplexity: counts must be >= 0, got ${counts[i]} at ${i}`);
    total += counts[i];
  }
  if (total === 0) throw new Error('perplexity: the counts are all zero');
  let entropy = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i] / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/**
 * A VQ-VAE's codebook (van den Oord et al. 2017): K code words of length D, initialised uniform in
 * +-1/K, and a count of how often each was chosen in training since the last `resetUsage`
 * (a state variable). `apply` maps vectors `[N, D]` to their nearest code words.
 */
export class VectorQuantizer implements Network<tf.Tensor2D, Quantized> {
  readonly name: string;
  readonly codebookSize: number;
  readonly codeDim: number;
  readonly codebook: tf.Variable<tf.Rank.R2>;
  /** `[K]`: how many vectors chose each code word in training since the last `resetUsage`. */
  readonly usage: tf.Variable<tf.Rank.R1>;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];

  /** Makes `scope/codebook` (trainable) and `scope/usage` (state). */
  constructor(parent: ParameterScope, config: VectorQuantizerConfig) {
    this.codebookSize = checkPositiveInt(config.codebookSize, 'codebookSize');
    this.codeDim = checkPositiveInt(config.codeDim, 'codeDim');
    const scope = parent.group();
    this.name = scope.path;
    this.codebook = scope.addWeight('codebook', [this.codebookSize, this.codeDim], { kind: 'uniform', limit: 1 / this.codebookSize }) as tf.Variable<tf.Rank.R2>;
    this.usage = scope.addWeight('usage', [this.codebookSize], { kind: 'zeros' }, { trainable: false }) as tf.Variable<tf.Rank.R1>;
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  /** The nearest code word of each row of `vectors` `[N, D]`; in training, their use is counted. */
  apply(vectors: tf.Tensor2D, options: ApplyOptions = {}): Quantized {
    if (vectors.rank !== 2 || vectors.shape[1] !== this.codeDim) {
      throw new Error(`${this.name}: expected vectors of shape [N, ${this.codeDim}], got [${vectors.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const indices = nearestCode(vectors, this.codebook);
      const oneHot = tf.oneHot(indices, this.codebookSize);
      if (options.training === true) this.usage.assign(this.usage.add(oneHot.sum(0).toFloat()));
      return { indices, codes: oneHot.matMul(this.codebook) as tf.Tensor2D };
    });
  }

  /** Sets every count of `usage` to zero. */
  resetUsage(): void {
    tf.tidy(() => this.usage.assign(tf.zerosLike(this.usage)));
  }

  /**
   * Replaces each code word that no vector chose since the last `resetUsage` (a dead code) by a
   * row of `candidates` `[N, D]` (encoder outputs), drawn without replacement with `random` while
   * rows last; then resets the usage. Returns the indices replaced.
   */
  reseedDead(candidates: tf.Tensor2D, random: Random): number[] {
    if (candidates.rank !== 2 || candidates.shape[1] !== this.codeDim || candidates.shape[0] === 0) {
      throw new Error(`${this.name}.reseedDead: expected candidates of shape [N > 0, ${this.codeDim}], got [${candidates.shape.join(', ')}]`);
    }
    const counts = this.usage.dataSync();
    const dead = Array.from(counts.keys()).filter((k) => counts[k] === 0);
    const pool = Array.from({ length: candidates.shape[0] }, (_, i) => i);
    const replaced: number[] = [];
    const rows: number[] = [];
    for (const k of dead) {
      if (pool.length === 0) break;
      const pick = random.int(pool.length);
      rows.push(pool[pick]);
      pool[pick] = pool[pool.length - 1];
      pool.pop();
      replaced.push(k);
    }
    if (replaced.length > 0) {
      tf.tidy(() => {
        const chosen = tf.gather(candidates, tf.tensor1d(rows, 'int32'));
        // Scatter by one-hot: rows of `replace` pick the new word for replaced entries and 0 elsewhere.
        const replace = tf.oneHot(tf.tensor1d(replaced, 'int32'), this.codebookSize).transpose() as tf.Tensor2D;
        const keep = tf.sub(1, replace.sum(1, true));
        this.codebook.assign(this.codebook.mul(keep).add(replace.toFloat().matMul(chosen)));
      });
    }
    this.resetUsage();
    return replaced;
  }

  summary() {
    return [{ layer: `${this.name}/codebook`, kind: `Codebook ${this.codebookSize} x ${this.codeDim}`, outputShape: [this.codeDim], params: this.codebookSize * this.codeDim }];
  }
}
