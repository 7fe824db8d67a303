// A conditional VAE for tables of mixed columns: rows encoded by `TabularEncoder` (continuous
// standardised, binary 0/1, categorical one-hot), a decoder with one head per column (Bernoulli for
// a binary column, Gaussian for a continuous one, categorical for a categorical one), conditioned
// on the label as `ConditionalVae` is. Two architectures share that objective: dense layers over
// the whole row, and the lecture's "conditional variational transformer", self-attention over one
// token per column. `synthesize` draws rows of a chosen label, seeded.
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import type { Activation } from '../nn/dense';
import { applyDense, checkActivation, createDense } from '../nn/dense';
import type { DenseLayer } from '../nn/dense';
import { DenseStack } from '../nn/dense-stack';
import type { Gaussian } from '../nn/gaussian';
import { GaussianEncoder, GaussianHead } from '../nn/gaussian';
import { applyLayerNorm, BlockLinear, createLayerNorm, TransformerBlock } from '../nn/attention';
import type { LayerNorm } from '../nn/attention';
import type { ApplyOptions, Network } from '../nn/network';
import { collectVariables, traceSummary } from '../nn/network';
import type { NamedVariable } from '../nn/params';
import { ParameterScope } from '../nn/params';
import type { ColumnSpec, MixedTable } from '../tabular/columns';
import { checkColumns } from '../tabular/columns';
import { concatTables } from '../tabular/rows';
import type { EncodedSlice, TabularEncoder } from '../tabular/encoder';
import { encodedLayout } from '../tabular/encoder';
import { withOneHotLabels } from './conditional-vae';
import type { Conditional } from './model';
import { standardNormal, vaeObjective, VariationalAutoencoder } from './variational-autoencoder';

/** Config of `MixedConditionalVae`. */
export interface MixedVaeConfig {
  /** The table's columns, as `TabularEncoder` encodes them (its `columns`). */
  columns: readonly ColumnSpec[];
  /** Number of label classes conditioned on (2 for a binary label). */
  classCount: number;
  /** Size of the latent variable z. */
  latentDim: number;
  /** `dense` (layers over the whole encoded row) or `attention` (a transformer over one token per column). Default `dense`. */
  architecture?: 'dense' | 'attention';
  /** Dense: widths of the encoder's hidden layers; the decoder mirrors them. Default [64, 64]. */
  hiddenSizes?: readonly number[];
  /** Dense: activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** Attention: width of a token. Default 32. */
  tokenDim?: number;
  /** Attention: heads per block (tokenDim a multiple of it). Default 4. */
  heads?: number;
  /** Attention: transformer blocks in the encoder and again in the decoder. Default 2. */
  blocks?: number;
  /** Weight of the KL term; 1 is the ELBO. Default 1. */
  beta?: number;
  /** KL warm-up epochs (see `VariationalAutoencoderOptions`). Default 0. */
  klWarmupEpochs?: number;
  /** Seed of the weights and of the sampling noise. */
  seed: number;
}

const halfLogTwoPi = 0.5 * Math.log(2 * Math.PI);

/** The smallest and largest standard deviation of a continuous column's Gaussian head (in standardised units). */
export const mixedScaleRange = [0.01, 1] as const;

/**
 * The decoder of a mixed VAE: a trunk giving one number per encoded value (the logit of a binary
 * column, the mean of a continuous one, the logits of a categorical one), and one trainable
 * standard deviation per continuous column, sigma = 0.01 + 0.99 sigmoid(s), so within
 * `mixedScaleRange` (TVAE, Xu et al. 2019, clamps its sigmas to the same range).
 */
export class MixedDecoder implements Network<tf.Tensor2D, tf.Tensor2D> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  /** One raw scale s per encoded value (only continuous positions are read). */
  readonly rawScale: tf.Variable;

  constructor(
    scope: ParameterScope,
    readonly trunk: Network<tf.Tensor2D, tf.Tensor2D>,
    width: number,
  ) {
    this.rawScale = scope.child('scale').addWeight('s', [width], { kind: 'zeros' });
    const { trainable, state } = collectVariables([trunk]);
    this.variables = [...trainable, { name: `${scope.path}/scale/s`, variable: this.rawScale }];
    this.stateVariables = state;
    this.name = trunk.name;
  }

  /** The standard deviations `[width]` (meaningful at continuous positions). */
  scales(): tf.Tensor1D {
    return tf.tidy(() => tf.sigmoid(this.rawScale).mul(mixedScaleRange[1] - mixedScaleRange[0]).add(mixedScaleRange[0])) as tf.Tensor1D;
  }

  apply(x: tf.Tensor2D, options: ApplyOptions = {}): tf.Tensor2D {
    return this.trunk.apply(x, options);
  }

  summary() {
    return this.trunk.summary();
  }
}

/** The encoder of the attention architecture: one token per column and one for the label, transformer blocks, then a Gaussian head on the flattened tokens. */
class ColumnTokenEncoder implements Network<tf.Tensor2D, tf.Tensor2D> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  readonly outputDim: number;
  private readonly tokens: BlockLinear;
  private readonly labelToken: DenseLayer;
  private readonly blocks: TransformerBlock[];
  private readonly norm: LayerNorm;

  constructor(
    parent: ParameterScope,
    private readonly layout: readonly EncodedSlice[],
    private readonly classCount: number,
    private readonly dim: number,
    heads: number,
    blocks: number,
  ) {
    const scope = parent.group();
    this.tokens = new BlockLinear(scope.child('tokens'), layout.map((s) => s.width), layout.map(() => dim));
    this.labelToken = createDense(scope.child('labelToken'), { inputDim: classCount, outputDim: dim, activation: 'linear' });
    this.blocks = Array.from({ length: blocks }, (_, i) => new TransformerBlock(scope.child(`block${i}`), { dim, heads }));
    this.norm = createLayerNorm(scope.child('norm'), dim);
    this.outputDim = (layout.length + 1) * dim;
    this.name = scope.path;
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  /** The token width and the count of tokens (columns plus the label). */
  get tokenShape(): [number, number] {
    return [this.layout.length + 1, this.dim];
  }

  /** Tokens after the blocks `[batch, columns + 1, dim]` of rows `[batch, width + classCount]` (the row, then its one-hot label). */
  tokensOf(input: tf.Tensor2D, options: ApplyOptions & { keepAttention?: boolean } = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const batch = input.shape[0];
      const width = this.tokens.inputDim;
      const columns = this.tokens.apply(input.slice([0, 0], [batch, width])).reshape([batch, this.layout.length, this.dim]);
      const label = applyDense(this.labelToken, input.slice([0, width], [batch, this.classCount])).reshape([batch, 1, this.dim]);
      let h = tf.concat([columns, label], 1) as tf.Tensor3D;
      for (const block of this.blocks) h = block.apply(h, options);
      return applyLayerNorm(this.norm, h) as tf.Tensor3D;
    });
  }

  apply(input: tf.Tensor2D, options: ApplyOptions = {}): tf.Tensor2D {
    const expected = this.tokens.inputDim + this.classCount;
    if (input.rank !== 2 || input.shape[1] !== expected) throw new Error(`${this.name}: expected [batch, ${expected}] (row and one-hot label), got [${input.shape.join(', ')}]`);
    return tf.tidy(() => {
      const h = this.tokensOf(input, options);
      options.trace?.(`${this.name}/tokens`, `ColumnTokens ${this.layout.length}+1 x ${this.dim}`, h, []);
      return h.reshape([input.shape[0], this.outputDim]) as tf.Tensor2D;
    });
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, this.tokens.inputDim + this.classCount]) as tf.Tensor2D, { trace }));
  }
}

/** The decoder trunk of the attention architecture: z and the label to one token per column, transformer blocks, then each column's outputs from its own token. */
class ColumnTokenDecoder implements Network<tf.Tensor2D, tf.Tensor2D> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  private readonly tokens: DenseLayer;
  private readonly blocks: TransformerBlock[];
  private readonly norm: LayerNorm;
  private readonly heads: BlockLinear;

  constructor(
    parent: ParameterScope,
    private readonly layout: readonly EncodedSlice[],
    private readonly inputDim: number,
    private readonly dim: number,
    heads: number,
    blocks: number,
  ) {
    const scope = parent.group();
    this.tokens = createDense(scope.child('tokens'), { inputDim, outputDim: layout.length * dim, activation: 'linear' });
    this.blocks = Array.from({ length: blocks }, (_, i) => new TransformerBlock(scope.child(`block${i}`), { dim, heads }));
    this.norm = createLayerNorm(scope.child('norm'), dim);
    this.heads = new BlockLinear(scope.child('heads'), layout.map(() => dim), layout.map((s) => s.width));
    this.name = scope.path;
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  apply(input: tf.Tensor2D, options: ApplyOptions = {}): tf.Tensor2D {
    if (input.rank !== 2 || input.shape[1] !== this.inputDim) throw new Error(`${this.name}: expected [batch, ${this.inputDim}] (code and one-hot label), got [${input.shape.join(', ')}]`);
    return tf.tidy(() => {
      const batch = input.shape[0];
      let h = applyDense(this.tokens, input).reshape([batch, this.layout.length, this.dim]) as tf.Tensor3D;
      for (const block of this.blocks) h = block.apply(h, options);
      const normed = applyLayerNorm(this.norm, h).reshape([batch, this.layout.length * this.dim]) as tf.Tensor2D;
      const out = this.heads.apply(normed);
      options.trace?.(`${this.name}/heads`, `ColumnHeads ${this.layout.length}`, out, [this.heads.weight, this.heads.bias]);
      return out;
    });
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, this.inputDim]) as tf.Tensor2D, { trace }));
  }
}

/** Options of `MixedConditionalVae.synthesize`. */
export interface SynthesizeOptions {
  /** Rows to draw. */
  count: number;
  /** The label every row gets (a class in 0..classCount-1). */
  label: number;
  /** Seed of the codes and of the per-column draws. */
  seed: number;
}

/**
 * A conditional VAE over encoded rows of a mixed table (`TabularEncoder`), with the label one-hot
 * appended to the encoder's and the decoder's input (Sohn et al. 2015). Its decoder gives each
 * column its own distribution: Bernoulli(sigmoid(l)) for a binary value, N(mu, sigma^2) with a
 * trained sigma per column for a standardised continuous value, Categorical(softmax(l)) over a
 * categorical column's one-hot block; log p(x|z, y) is the sum of the columns' log-likelihoods,
 * and the loss is the negative ELBO as for every VAE here. `architecture: 'attention'` swaps the
 * dense networks for self-attention over one token per column (and one for the label).
 */
export class MixedConditionalVae extends VariationalAutoencoder implements Conditional {
  declare readonly config: Readonly<Required<Omit<MixedVaeConfig, 'columns'>> & { columns: readonly ColumnSpec[] }>;
  declare readonly decoder: MixedDecoder;
  readonly classCount: number;
  readonly columns: readonly ColumnSpec[];
  readonly layout: readonly EncodedSlice[];
  /** Numbers per encoded row. */
  readonly width: number;
  private readonly masks: { binary: tf.Tensor1D; continuous: tf.Tensor1D };

  constructor(config: MixedVaeConfig) {
    checkColumns(config.columns, 'MixedConditionalVae: columns');
    const objective = vaeObjective({ beta: config.beta, klWarmupEpochs: config.klWarmupEpochs });
    const architecture = config.architecture ?? 'dense';
    if (architecture !== 'dense' && architecture !== 'attention') throw new Error(`MixedConditionalVae: architecture must be dense|attention, got "${String(architecture)}"`);
    const full = {
      columns: config.columns.map((c) => ({ ...c })),
      classCount: checkPositiveInt(config.classCount, 'classCount'),
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      architecture,
      hiddenSizes: [...(config.hiddenSizes ?? [64, 64])].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      tokenDim: checkPositiveInt(config.tokenDim ?? 32, 'tokenDim'),
      heads: checkPositiveInt(config.heads ?? 4, 'heads'),
      blocks: checkPositiveInt(config.blocks ?? 2, 'blocks'),
      beta: objective.beta,
      klWarmupEpochs: objective.klWarmupEpochs,
      seed: config.seed,
    };
    if (architecture === 'attention' && full.tokenDim % full.heads !== 0) throw new Error(`MixedConditionalVae: tokenDim (${full.tokenDim}) must be a multiple of heads (${full.heads})`);
    const layout = encodedLayout(full.columns);
    const width = layout.reduce((a, s) => a + s.width, 0);
    const scope = ParameterScope.create(`mixed-vae-${architecture}`, full.seed);
    const encoderScope = scope.child('encoder');
    const decoderScope = scope.child('decoder');
    let encoder: GaussianEncoder<tf.Tensor2D>;
    let trunk: Network<tf.Tensor2D, tf.Tensor2D>;
    if (architecture === 'dense') {
      const encoderTrunk = new DenseStack(encoderScope, { inputDim: width + full.classCount, widths: full.hiddenSizes, activation: full.activation, outputActivation: full.activation });
      encoder = new GaussianEncoder(encoderTrunk, new GaussianHead(encoderScope, { inputDim: encoderTrunk.outputDim, latentDim: full.latentDim }));
      trunk = new DenseStack(decoderScope, { inputDim: full.latentDim + full.classCount, widths: [...[...full.hiddenSizes].reverse(), width], activation: full.activation, outputActivation: 'linear' });
    } else {
      const encoderTrunk = new ColumnTokenEncoder(encoderScope, layout, full.classCount, full.tokenDim, full.heads, full.blocks);
      encoder = new GaussianEncoder(encoderTrunk, new GaussianHead(encoderScope, { inputDim: encoderTrunk.outputDim, latentDim: full.latentDim }));
      trunk = new ColumnTokenDecoder(decoderScope, layout, full.latentDim + full.classCount, full.tokenDim, full.heads, full.blocks);
    }
    const decoder = new MixedDecoder(decoderScope, trunk, width);
    super({ name: `mixed-vae-${architecture}`, inputShape: [width], beta: objective.beta, klWarmupEpochs: objective.klWarmupEpochs, loss: 'mse', seed: full.seed, config: full }, encoder, decoder);
    this.classCount = full.classCount;
    this.columns = full.columns;
    this.layout = layout;
    this.width = width;
    const mask = (kind: ColumnSpec['kind']) => {
      const m = new Float32Array(width);
      for (const s of layout) if (s.kind === kind) m[s.start] = 1;
      return tf.keep(tf.tensor1d(m));
    };
    this.masks = { binary: mask('binary'), continuous: mask('continuous') };
  }

  protected override encoderInput(x: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return withOneHotLabels(x, labels, this.classCount, `${this.name}: the encoder`);
  }

  protected override decoderInput(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return withOneHotLabels(z, labels, this.classCount, `${this.name}: the decoder`);
  }

  /** Each continuous column's standard deviation, in standardised units (NaN for other columns). */
  columnScales(): Float64Array {
    const all = tf.tidy(() => this.decoder.scales()).dataSync();
    return Float64Array.from(this.layout, (s) => (s.kind === 'continuous' ? all[s.start] : NaN));
  }

  /**
   * log p(x|z, y) per row `[n]` of encoded rows `x` `[n, width]` under decoder outputs `[n, width]`:
   * the sum over columns of log Bernoulli(x; sigmoid(l)), log N(x; mu, sigma^2) and
   * log Categorical(x; softmax(l)).
   */
  override decoderLogLikelihood(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      // Bernoulli: x l - log(1 + e^l) = x l - softplus(l).
      const bernoulli = x.mul(logits).sub(tf.softplus(logits)).mul(this.masks.binary);
      const sigma = this.decoder.scales();
      const gaussian = tf.squaredDifference(x, logits).div(sigma.square()).mul(-0.5).sub(sigma.log()).sub(halfLogTwoPi).mul(this.masks.continuous);
      let total = bernoulli.add(gaussian).sum(1);
      for (const s of this.layout) {
        if (s.kind !== 'categorical') continue;
        const block = [x.shape[0], s.width];
        total = total.add(x.slice([0, s.start], block).mul(tf.logSoftmax(logits.slice([0, s.start], block))).sum(1));
      }
      return total as tf.Tensor1D;
    });
  }

  protected override reconstructionLoss(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => this.decoderLogLikelihood(x, logits).mean().neg() as tf.Scalar);
  }

  /** Each column's mean under the decoder at codes `z`, `[n, width]`: probabilities for binary and categorical columns, means for continuous ones. */
  override decode(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => {
      const logits = this.decodeLogits(z, { labels });
      const parts = this.layout.map((s) => {
        const block = logits.slice([0, s.start], [z.shape[0], s.width]);
        return s.kind === 'binary' ? tf.sigmoid(block) : s.kind === 'continuous' ? block : tf.softmax(block);
      });
      return tf.concat(parts, 1) as tf.Tensor2D;
    });
  }

  /**
   * `count` encoded rows `[count, width]` of class `label`, drawn from the model: codes from the
   * prior N(0, I), then each column from its own distribution given the code (a 0/1 draw, a
   * Gaussian draw, a one-hot draw). Reproducible for a seed.
   */
  sampleEncoded(options: SynthesizeOptions): Float32Array {
    const count = checkPositiveInt(options.count, 'count');
    if (!Number.isSafeInteger(options.label) || options.label < 0 || options.label >= this.classCount) throw new Error(`${this.name}.sampleEncoded: label must be a class in 0..${this.classCount - 1}, got ${String(options.label)}`);
    if (!Number.isSafeInteger(options.seed)) throw new Error(`${this.name}.sampleEncoded: seed must be an integer, got ${String(options.seed)}`);
    const [logits, sigma] = tf.tidy(() => {
      const z = standardNormal(count, this.latentDim, new Random(options.seed));
      const labels = tf.fill([count], options.label, 'int32') as tf.Tensor1D;
      return [this.decodeLogits(z, { labels }).dataSync(), this.decoder.scales().dataSync()];
    });
    const random = new Random(mixSeed(options.seed, 1));
    const out = new Float32Array(count * this.width);
    for (let r = 0; r < count; r++) {
      const o = r * this.width;
      for (const s of this.layout) {
        const at = o + s.start;
        if (s.kind === 'binary') out[at] = random.next() < 1 / (1 + Math.exp(-logits[at])) ? 1 : 0;
        else if (s.kind === 'continuous') out[at] = logits[at] + sigma[s.start] * random.normal();
        else {
          let max = -Infinity;
          for (let k = 0; k < s.width; k++) max = Math.max(max, logits[at + k]);
          let total = 0;
          for (let k = 0; k < s.width; k++) total += Math.exp(logits[at + k] - max);
          let u = random.next() * total;
          let pick = s.width - 1;
          for (let k = 0; k < s.width; k++) {
            u -= Math.exp(logits[at + k] - max);
            if (u < 0) {
              pick = k;
              break;
            }
          }
          out[at + pick] = 1;
        }
      }
    }
    return out;
  }

  /**
   * `count` synthetic rows of class `label` as a table in the original units (`encoder`, the one
   * the model was trained through, undoes the standardisation), every row labelled `label`.
   */
  synthesize(encoder: TabularEncoder, options: SynthesizeOptions): MixedTable {
    const same = encoder.width === this.width && encoder.columns.length === this.columns.length && encoder.columns.every((c, i) => c.kind === this.columns[i].kind && c.categories === this.columns[i].categories);
    if (!same) throw new Error(`${this.name}.synthesize: the encoder's columns (${encoder.columns.map((c) => c.kind).join(', ')}) are not the model's (${this.columns.map((c) => c.kind).join(', ')})`);
    const encoded = this.sampleEncoded(options);
    const x = encoder.inverseTransform(encoded, options.count);
    return { x, rows: options.count, cols: this.columns.length, labels: new Uint8Array(options.count).fill(options.label), columns: encoder.columns };
  }

  /**
   * `counts[k]` synthetic rows of each class k (a count may be 0), stacked class by class, in the
   * original units: the draws of `synthesize` with seeds `seed`, `seed + 1`, ...
   */
  synthesizeClasses(encoder: TabularEncoder, options: { counts: readonly number[]; seed: number }): MixedTable {
    const { counts, seed } = options;
    if (counts.length !== this.classCount || counts.some((c) => !Number.isSafeInteger(c) || c < 0) || counts.every((c) => c === 0)) {
      throw new Error(`${this.name}.synthesizeClasses: counts must give one integer >= 0 per class (${this.classCount}), not all 0, got [${counts.join(', ')}]`);
    }
    const parts = counts.flatMap((count, label) => (count > 0 ? [this.synthesize(encoder, { count, label, seed: seed + label })] : []));
    return concatTables(parts);
  }
}
