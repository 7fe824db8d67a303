import * as tf from '@tensorflow/tfjs';
import { mixSeed, Random } from '../core/random';
import { stopGradient, straightThrough } from '../core/straight-through';
import type { BatchSource } from '../data/dataset-file';
import { batchesOf } from '../data/dataset-file';
import type { Activation } from '../nn/dense';
import { activate, flattenInput } from '../nn/dense';
import type { ConvLayer } from '../nn/conv';
import { applyConv, createConv } from '../nn/conv';
import { ConvDecoder, ConvEncoder, convGeometry } from '../nn/conv-stack';
import type { ApplyOptions, Network } from '../nn/network';
import { traceSummary } from '../nn/network';
import type { NamedVariable } from '../nn/params';
import type { LayerSummary } from '../nn/summary';
import { ParameterScope } from '../nn/params';
import { lookupCodes, perplexity, VectorQuantizer } from '../nn/vector-quantizer';
import type { ReconstructionLoss } from './autoencoder';
import { checkReconstructionSetup, reconstructionTerms } from './autoencoder';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';
import { checkCodeShape, NetworkModel } from './model';

/** Config of `VqVae`. */
export interface VqVaeConfig {
  /** Shape of one image `[height, width, channels]`, e.g. `[28, 28, 1]`; each side divisible by 2^(blocks). */
  inputShape: readonly number[];
  /** Channels of each encoder block (a 3x3 convolution and a 2x max-pool), outermost first. Default `[32, 64]`. */
  filters?: readonly number[];
  /** Kernel size. Default 3. */
  kernelSize?: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** D: length of a code word (the encoder ends in a linear 1x1 convolution to D channels). Default 16. */
  codeDim?: number;
  /** K: number of code words. */
  codebookSize: number;
  /** beta, the weight of the commitment term. Default 0.25 (van den Oord et al. 2017). */
  commitment?: number;
  /** `bce` (Bernoulli decoder, for data in [0, 1]) or `mse` (squared error). Default `bce`. */
  loss?: ReconstructionLoss;
  /**
   * At the end of each training epoch, replace every code word that no training vector chose in
   * that epoch by an encoder output of the epoch's last batch. Default false.
   */
  resetDeadCodes?: boolean;
  /** Seed of the initial weights and of the dead-code draws. */
  seed: number;
}

/** What `VqVae.codeUsage` measures over a dataset. */
export interface CodeUsage {
  /** How many grid positions chose each code word. */
  counts: Float64Array;
  /** Grid positions counted (examples x positions per example). */
  positions: number;
  /** Code words chosen at least once. */
  used: number;
  /** Code words never chosen (dead codes). */
  dead: number;
  /** exp(entropy) of the use (see `perplexity`). */
  perplexity: number;
}

/** One training epoch's code use, as `VqVae` records it (before any dead codes are replaced). */
export interface EpochCodeUse {
  epoch: number;
  used: number;
  dead: number;
  perplexity: number;
  /** Code words replaced at the end of the epoch (0 without `resetDeadCodes`). */
  reseeded: number;
}

/** The VQ-VAE encoder: a `ConvEncoder` and a linear 1x1 convolution to D channels, giving the grid E(x) `[batch, rows, cols, D]`. */
class GridEncoder implements Network<tf.Tensor, tf.Tensor4D> {
  readonly name: string;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  private readonly project: ConvLayer;
  private readonly projectPath: string;

  constructor(
    scope: ParameterScope,
    readonly trunk: ConvEncoder,
    readonly codeDim: number,
  ) {
    const group = scope.group();
    this.name = trunk.name;
    const inChannels = trunk.geometry.codeMapShape[2];
    const projectScope = group.child('project');
    this.project = createConv(projectScope, { kernel: [1, 1], inChannels, outChannels: codeDim, strides: [1, 1], activation: 'linear' });
    this.projectPath = projectScope.path;
    this.variables = [...trunk.variables, ...group.trainableVariables];
    this.stateVariables = [...trunk.stateVariables, ...group.stateVariables];
  }

  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor4D {
    return tf.tidy(() => {
      const [rows, cols, channels] = this.trunk.geometry.codeMapShape;
      const map = this.trunk.apply(x, options).reshape([x.shape[0], rows, cols, channels]) as tf.Tensor4D;
      const grid = applyConv(this.project, map);
      options.trace?.(this.projectPath, 'Conv2D 1 same linear', grid, [this.project.filter, this.project.bias]);
      return grid;
    });
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, ...this.trunk.geometry.image]), { trace }));
  }
}

/**
 * The VQ-VAE (van den Oord et al. 2017): a convolutional encoder maps an image to a grid of
 * vectors E(x); each is replaced by its nearest code word e_k of a learned codebook; a
 * convolutional decoder reconstructs the image from the grid of code words. The loss is
 * reconstruction + ||sg[E(x)] - e||^2 (the term `codebook`) + beta ||E(x) - sg[e]||^2 (the term
 * `commitment`), sums over an image's grid averaged over the batch; the reconstruction's gradient
 * passes the quantiser straight through to the encoder (`straightThrough`).
 *
 * As a `RepresentationModel` its code is the grid of code words, flattened: `latentDim` =
 * rows x cols x D. `codeIndices` gives the discrete code (one index per grid position) and
 * `decodeIndices` decodes one.
 */
export class VqVae extends NetworkModel implements RepresentationModel {
  readonly name = 'vq-vae';
  readonly config: Readonly<Required<VqVaeConfig>>;
  readonly inputShape: readonly number[];
  readonly encoder: GridEncoder;
  readonly quantizer: VectorQuantizer;
  readonly decoder: ConvDecoder;
  /** Rows and columns of the code grid. */
  readonly grid: { readonly rows: number; readonly cols: number };
  readonly latentDim: number;
  /** Code use in each training epoch so far. */
  readonly codeUseHistory: EpochCodeUse[] = [];
  private readonly inputSize: number;
  /** Encoder outputs of the last training batch, for replacing dead codes. */
  private lastVectors?: tf.Tensor2D;

  constructor(config: VqVaeConfig) {
    const geometry = convGeometry({ inputShape: config.inputShape, filters: config.filters ?? [32, 64], kernelSize: config.kernelSize, activation: config.activation });
    if (geometry.oneD) throw new Error(`VqVae: inputShape must be [height, width, channels], got [${config.inputShape.join(', ')}]`);
    const codeDim = config.codeDim ?? 16;
    const full: Required<VqVaeConfig> = {
      inputShape: geometry.inputShape,
      filters: geometry.filters,
      kernelSize: geometry.kernelSize,
      activation: geometry.activation,
      codeDim,
      codebookSize: config.codebookSize,
      commitment: config.commitment ?? 0.25,
      loss: config.loss ?? 'bce',
      resetDeadCodes: config.resetDeadCodes ?? false,
      seed: config.seed,
    };
    if (!Number.isFinite(full.commitment) || full.commitment < 0) throw new Error(`commitment must be a number >= 0, got ${full.commitment}`);
    checkReconstructionSetup('sigmoid', full.loss);
    const scope = ParameterScope.create('vq-vae', full.seed);
    const stack = { inputShape: full.inputShape, filters: full.filters, kernelSize: full.kernelSize, activation: full.activation };
    const encoderScope = scope.child('encoder');
    const encoder = new GridEncoder(encoderScope, new ConvEncoder(encoderScope, stack), codeDim);
    const quantizer = new VectorQuantizer(scope.child('quantizer'), { codebookSize: full.codebookSize, codeDim });
    // The decoder mirrors the encoder, its first block reading the D channels of the code grid.
    const decoder = new ConvDecoder(scope.child('decoder'), { ...stack, filters: [...full.filters.slice(0, -1), codeDim], outputActivation: 'sigmoid' });
    super([encoder, quantizer, decoder]);
    this.config = full;
    this.encoder = encoder;
    this.quantizer = quantizer;
    this.decoder = decoder;
    this.inputShape = full.inputShape;
    this.inputSize = full.inputShape.reduce((a, b) => a * b, 1);
    const [rows, cols] = geometry.codeMapShape;
    this.grid = { rows, cols };
    this.latentDim = rows * cols * codeDim;
  }

  /** Bits of one image's discrete code: rows x cols x log2(K). */
  get bitsPerImage(): number {
    return this.grid.rows * this.grid.cols * Math.log2(this.config.codebookSize);
  }

  /** The encoder's grid E(x) before quantisation, as `[batch x rows x cols, D]` (one row per position). */
  encodeVectors(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(flattenInput(x, this.inputSize, 'vq-vae.encode', this.inputShape), options).reshape([-1, this.config.codeDim]) as tf.Tensor2D);
  }

  /** The discrete code of `x`: int32 `[batch, rows x cols]`, the index of each position's code word (row by row). */
  codeIndices(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.quantizer.apply(this.encodeVectors(x)).indices.reshape([x.shape[0], this.grid.rows * this.grid.cols]) as tf.Tensor2D);
  }

  /** The grid of code words of `x`, flattened: `[batch, latentDim]`. */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.quantizer.apply(this.encodeVectors(x)).codes.reshape([x.shape[0], this.latentDim]) as tf.Tensor2D);
  }

  /** The code is deterministic: `embed` is `encode`. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return this.encode(x);
  }

  /** Decoder logits `[batch, inputSize]` of a flattened grid of vectors `z` `[batch, latentDim]`. */
  decodeLogits(z: tf.Tensor2D, options: ApplyOptions = {}): tf.Tensor2D {
    checkCodeShape(z, this.latentDim, 'vq-vae.decode');
    return tf.tidy(() => this.decoder.apply(z, options).reshape([z.shape[0], this.inputSize]) as tf.Tensor2D);
  }

  /** Images `[batch, ...inputShape]` in [0, 1] of a flattened grid of vectors `z` `[batch, latentDim]`. */
  decode(z: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => activate(this.decodeLogits(z), 'sigmoid').reshape([z.shape[0], ...this.inputShape]));
  }

  /** Images of discrete codes `indices` (int32 `[batch, rows x cols]`, values in 0..K-1). */
  decodeIndices(indices: tf.Tensor2D): tf.Tensor {
    const positions = this.grid.rows * this.grid.cols;
    if (indices.rank !== 2 || indices.shape[1] !== positions || indices.dtype !== 'int32') {
      throw new Error(`vq-vae.decodeIndices: expected int32 indices of shape [batch, ${positions}], got ${indices.dtype} [${indices.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const flat = indices.reshape([-1]) as tf.Tensor1D;
      const outside = flat.less(0).logicalOr(flat.greaterEqual(this.config.codebookSize)).any().dataSync()[0];
      if (outside) throw new Error(`vq-vae.decodeIndices: indices must lie in 0..${this.config.codebookSize - 1}`);
      const codes = lookupCodes(flat, this.quantizer.codebook);
      return this.decode(codes.reshape([indices.shape[0], this.latentDim]) as tf.Tensor2D);
    });
  }

  /** `decode(encode(x))`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.encode(x)).reshape(x.shape));
  }

  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    return tf.tidy(() => {
      const training = options.training === true;
      const n = batch.x.shape[0];
      const x = flattenInput(batch.x, this.inputSize, 'vq-vae.computeLoss', this.inputShape);
      const vectors = this.encodeVectors(x, { training });
      const { codes } = this.quantizer.apply(vectors, { training });
      if (training && this.config.resetDeadCodes) {
        this.lastVectors?.dispose();
        this.lastVectors = tf.keep(stopGradient(vectors) as tf.Tensor2D);
      }
      // Per image: sums over its grid; then the batch mean (as the reconstruction term).
      const perImage = (t: tf.Tensor2D) => t.sum().div(n) as tf.Scalar;
      const codebook = perImage(tf.squaredDifference(stopGradient(vectors), codes) as tf.Tensor2D);
      const commitment = perImage(tf.squaredDifference(vectors, stopGradient(codes)) as tf.Tensor2D);
      const quantized = straightThrough(vectors, codes).reshape([n, this.latentDim]) as tf.Tensor2D;
      const logits = this.decodeLogits(quantized, { training });
      const { reconstruction } = reconstructionTerms(x, logits, this.config.loss, 'sigmoid');
      return { total: reconstruction.add(codebook).add(commitment.mul(this.config.commitment)) as tf.Scalar, reconstruction, codebook, commitment };
    });
  }

  /** Records the epoch's code use; with `resetDeadCodes`, replaces the dead codes (seeded by the seed and the epoch). */
  onEpochEnd(epoch: number): void {
    const counts = this.quantizer.usage.dataSync();
    const used = Array.from(counts).filter((c) => c > 0).length;
    if (used === 0) return;
    const entry: EpochCodeUse = { epoch, used, dead: counts.length - used, perplexity: perplexity(counts), reseeded: 0 };
    if (this.config.resetDeadCodes && this.lastVectors !== undefined) {
      entry.reseeded = this.quantizer.reseedDead(this.lastVectors, new Random(mixSeed(this.config.seed, epoch))).length;
    } else {
      this.quantizer.resetUsage();
    }
    this.codeUseHistory.push(entry);
  }

  /** How often each code word is chosen over `data` (no training: the usage counter is left alone). */
  async codeUsage(data: BatchSource, options: { batchSize?: number } = {}): Promise<CodeUsage> {
    const K = this.config.codebookSize;
    let total: tf.Tensor1D = tf.zeros([K]);
    let positions = 0;
    for (const hb of batchesOf(data, { batchSize: options.batchSize ?? 500, shuffle: false })) {
      const next = tf.tidy(() => {
        const x = tf.tensor2d(hb.x, [hb.size, this.inputSize]);
        const indices = this.quantizer.apply(this.encodeVectors(x)).indices;
        return total.add(tf.oneHot(indices, K).sum(0)) as tf.Tensor1D;
      });
      total.dispose();
      total = next;
      positions += hb.size * this.grid.rows * this.grid.cols;
    }
    const counts = Float64Array.from(await total.data());
    total.dispose();
    if (positions === 0) throw new Error('vq-vae.codeUsage: the dataset is empty');
    const used = counts.filter((c) => c > 0).length;
    return { counts, positions, used, dead: K - used, perplexity: perplexity(counts) };
  }

  /** The encoder's, the codebook's and the decoder's layers, with output shapes and parameter counts. */
  summary(): LayerSummary[] {
    return [...this.encoder.summary(), ...this.quantizer.summary(), ...this.decoder.summary()];
  }

  override dispose(): void {
    this.lastVectors?.dispose();
    this.lastVectors = undefined;
    super.dispose();
  }
}
