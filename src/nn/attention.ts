// Self-attention over a short sequence of tokens, for models that read a table's columns as tokens
// (one token per column): layer normalisation, multi-head scaled dot-product self-attention
// (Vaswani et al. 2017) and the pre-norm transformer block that joins them with a feed-forward
// layer, plus the block-diagonal linear map that turns each column's encoded values into its token
// and back.
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { DenseLayer } from './dense';
import { applyDense, createDense } from './dense';
import type { ApplyOptions, Network } from './network';
import { traceSummary } from './network';
import type { NamedVariable, ParameterScope } from './params';

/** Layer normalisation over the last axis (Ba et al. 2016), with a gain and a bias per feature: `[..., dim]`. */
export interface LayerNorm {
  readonly gain: tf.Variable;
  readonly bias: tf.Variable;
  readonly dim: number;
}

/** Makes `scope/gain` (ones) and `scope/bias` (zeros) of a `LayerNorm` over `dim` features. */
export function createLayerNorm(scope: ParameterScope, dim: number): LayerNorm {
  return { gain: scope.addWeight('gain', [dim], { kind: 'ones' }), bias: scope.addWeight('bias', [dim], { kind: 'zeros' }), dim };
}

/** (x - mean) / sqrt(var + 1e-5) * gain + bias, mean and variance over the last axis of `x`. */
export function applyLayerNorm(norm: LayerNorm, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(variance.add(1e-5).rsqrt()).mul(norm.gain).add(norm.bias);
  });
}

/** Config of `TransformerBlock`. */
export interface TransformerBlockConfig {
  /** Width of a token. */
  readonly dim: number;
  /** Attention heads; `dim` must be a multiple of it. */
  readonly heads: number;
  /** Width of the feed-forward layer's hidden layer. Default 2 * dim. */
  readonly feedForward?: number;
}

/**
 * A pre-norm transformer block on tokens `[batch, tokens, dim]`: h = x + attention(norm(x)), then
 * h + W2 relu(W1 norm(h)). The attention is multi-head scaled dot-product self-attention, every
 * token attending to every token (no mask: a table's columns have no order). Output shape = input.
 */
export class TransformerBlock implements Network<tf.Tensor3D, tf.Tensor3D> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  readonly dim: number;
  readonly heads: number;
  private readonly norm1: LayerNorm;
  private readonly query: DenseLayer;
  private readonly key: DenseLayer;
  private readonly value: DenseLayer;
  private readonly output: DenseLayer;
  private readonly norm2: LayerNorm;
  private readonly hidden: DenseLayer;
  private readonly back: DenseLayer;
  /** The attention weights `[batch, heads, tokens, tokens]` of the last `apply` with `keepAttention`, or undefined. */
  lastAttention: tf.Tensor4D | undefined;

  constructor(parent: ParameterScope, config: TransformerBlockConfig) {
    this.dim = checkPositiveInt(config.dim, 'dim');
    this.heads = checkPositiveInt(config.heads, 'heads');
    if (this.dim % this.heads !== 0) throw new Error(`TransformerBlock: dim (${this.dim}) must be a multiple of heads (${this.heads})`);
    const feedForward = checkPositiveInt(config.feedForward ?? 2 * this.dim, 'feedForward');
    const scope = parent.group();
    const linear = (name: string, inputDim: number, outputDim: number, activation: 'linear' | 'relu' = 'linear') => createDense(scope.child(name), { inputDim, outputDim, activation });
    this.norm1 = createLayerNorm(scope.child('norm1'), this.dim);
    this.query = linear('query', this.dim, this.dim);
    this.key = linear('key', this.dim, this.dim);
    this.value = linear('value', this.dim, this.dim);
    this.output = linear('output', this.dim, this.dim);
    this.norm2 = createLayerNorm(scope.child('norm2'), this.dim);
    this.hidden = linear('hidden', this.dim, feedForward, 'relu');
    this.back = linear('back', feedForward, this.dim);
    this.name = scope.path;
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  /**
   * The block on tokens `x` `[batch, tokens, dim]`. With `keepAttention`, the attention weights are
   * kept in `lastAttention` (the previous ones disposed), for plots.
   */
  apply(x: tf.Tensor3D, options: ApplyOptions & { keepAttention?: boolean } = {}): tf.Tensor3D {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new Error(`${this.name}: expected tokens [batch, tokens, ${this.dim}], got [${x.shape.join(', ')}]`);
    const [batch, tokens] = x.shape;
    const headDim = this.dim / this.heads;
    const out = tf.tidy(() => {
      const flat = (t: tf.Tensor) => t.reshape([batch * tokens, -1]) as tf.Tensor2D;
      const split = (t: tf.Tensor2D) => t.reshape([batch, tokens, this.heads, headDim]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
      const normed = flat(applyLayerNorm(this.norm1, x));
      const q = split(applyDense(this.query, normed));
      const k = split(applyDense(this.key, normed));
      const v = split(applyDense(this.value, normed));
      const weights = tf.softmax(tf.matMul(q, k, false, true).mul(1 / Math.sqrt(headDim))) as tf.Tensor4D;
      const attended = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([batch * tokens, this.dim]) as tf.Tensor2D;
      const h = x.add(applyDense(this.output, attended).reshape([batch, tokens, this.dim])) as tf.Tensor3D;
      options.trace?.(`${this.name}/attention`, `MultiHeadSelfAttention ${this.heads} heads`, h, [this.query, this.key, this.value, this.output].flatMap((l) => [l.weight, l.bias]).concat([this.norm1.gain, this.norm1.bias]));
      const ff = applyDense(this.back, applyDense(this.hidden, flat(applyLayerNorm(this.norm2, h)))).reshape([batch, tokens, this.dim]);
      const y = h.add(ff) as tf.Tensor3D;
      options.trace?.(`${this.name}/feedForward`, 'FeedForward relu', y, [this.hidden.weight, this.hidden.bias, this.back.weight, this.back.bias, this.norm2.gain, this.norm2.bias]);
      return options.keepAttention === true ? [y, weights] : [y];
    });
    if (options.keepAttention === true) {
      this.lastAttention?.dispose();
      this.lastAttention = out[1] as tf.Tensor4D;
    }
    return out[0] as tf.Tensor3D;
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, 2, this.dim]) as tf.Tensor3D, { trace }));
  }
}

/**
 * A linear map whose weight is block-diagonal: block c maps the `inWidths[c]` values of part c of
 * the input to the `outWidths[c]` values of part c of the output, and no part sees another. It turns
 * each column's encoded values into that column's token (`inWidths` the columns' encoded widths,
 * `outWidths` all the token width) and tokens back into each column's decoder outputs. The bias of
 * the token side doubles as each column's embedding. Input `[batch, sum inWidths]`, output
 * `[batch, sum outWidths]`.
 */
export class BlockLinear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly mask: tf.Tensor2D;

  constructor(scope: ParameterScope, inWidths: readonly number[], outWidths: readonly number[]) {
    if (inWidths.length === 0 || inWidths.length !== outWidths.length) throw new Error(`BlockLinear: inWidths and outWidths must be non-empty and of one length, got ${inWidths.length} and ${outWidths.length}`);
    inWidths.forEach((w, i) => checkPositiveInt(w, `inWidths[${i}]`));
    outWidths.forEach((w, i) => checkPositiveInt(w, `outWidths[${i}]`));
    this.inputDim = inWidths.reduce((a, b) => a + b, 0);
    this.outputDim = outWidths.reduce((a, b) => a + b, 0);
    const mask = new Float32Array(this.inputDim * this.outputDim);
    let row = 0;
    let col = 0;
    inWidths.forEach((wi, c) => {
      for (let i = row; i < row + wi; i++) for (let j = col; j < col + outWidths[c]; j++) mask[i * this.outputDim + j] = 1;
      row += wi;
      col += outWidths[c];
    });
    // Each block is initialised as its own dense layer would be (Glorot on its fan-in and fan-out).
    const fan = Math.max(...inWidths.map((w, c) => w + outWidths[c]));
    this.weight = scope.addWeight('w', [this.inputDim, this.outputDim], { kind: 'uniform', limit: Math.sqrt(6 / fan) });
    this.bias = scope.addWeight('b', [this.outputDim], { kind: 'uniform', limit: 0.1 });
    this.mask = tf.keep(tf.tensor2d(mask, [this.inputDim, this.outputDim]));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inputDim) throw new Error(`BlockLinear: expected [batch, ${this.inputDim}], got [${x.shape.join(', ')}]`);
    return tf.tidy(() => tf.matMul(x, this.weight.mul(this.mask) as tf.Tensor2D).add(this.bias));
  }
}
