import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import type { Corruption } from '../data/corruption';
import { checkCorruption, corrupt } from '../data/corruption';
import type { Activation, DenseLayer, NamedVariable } from '../nn/dense';
import { activate, applyDense, checkActivation, createDense, flattenInput, uniqueScope } from '../nn/dense';
import type { ConvLayer, ConvTransposeLayer, Size2 } from '../nn/conv';
import { applyConv, applyConvTranspose, createConv, createConvTranspose, maxPool } from '../nn/conv';
import type { ReconstructionLoss } from './dense-autoencoder';
import { checkReconstructionSetup, reconstructionTerms } from './dense-autoencoder';
import type { LayerSummary, LayerTrace } from '../nn/summary';
import { summaryRecorder } from '../nn/summary';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';

/** Config of `ConvAutoencoder`. */
export interface ConvAutoencoderConfig {
  /**
   * Shape of one example: `[height, width, channels]` for images (e.g. `[28, 28, 1]`), or
   * `[length, channels]` for 1-D signals. Each spatial size must be divisible by 2^(number of blocks).
   */
  inputShape: readonly number[];
  /** Channels of each encoder block (a `same` convolution then a 2x max-pool), outermost first. E.g. `[32, 32]`. */
  filters: readonly number[];
  /** Kernel size (square in 2-D). Default 3. */
  kernelSize?: number;
  /**
   * Size of a dense code after the last block. Default: none, the code is the last feature map,
   * flattened (the lecture's model: 7 x 7 x 32 = 1568 values for MNIST with filters [32, 32]).
   */
  latentDim?: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** `sigmoid` for data in [0, 1], `linear` for unbounded data. Default `sigmoid`. */
  outputActivation?: 'sigmoid' | 'linear';
  /** Default `bce`. */
  loss?: ReconstructionLoss;
  /** A denoising autoencoder: in training, the input is corrupted and the loss compares its reconstruction with the clean input. */
  corruption?: Corruption;
  /** Seed of the initial weights and of the corruption noise. */
  seed: number;
}

/**
 * A convolutional autoencoder in 2-D (images) or 1-D (signals). Encoder: per entry of `filters`
 * a `same` convolution with the hidden activation and a 2x max-pool. Decoder: per block, in
 * reverse, a stride-2 transposed convolution with the hidden activation, then a `same`
 * convolution to the input's channels with the output activation. With `filters: [32, 32]`,
 * kernel 3 and MNIST this is the lecture's 28,353-parameter model. A 1-D signal runs as an
 * image of width 1.
 */
export class ConvAutoencoder implements RepresentationModel {
  readonly name = 'conv-autoencoder';
  readonly config: Readonly<ConvAutoencoderConfig & Required<Omit<ConvAutoencoderConfig, 'latentDim' | 'corruption'>>>;
  readonly namedVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  /** Shape of the last feature map `[rows, cols, channels]` (cols 1 in 1-D). */
  readonly codeMapShape: readonly [number, number, number];
  private readonly image: readonly [number, number, number];
  private readonly pool: Size2;
  private readonly inputSize: number;
  private readonly encoder: ConvLayer[];
  private readonly decoder: ConvTransposeLayer[];
  private readonly output: ConvLayer;
  private readonly toCode?: DenseLayer;
  private readonly fromCode?: DenseLayer;
  private calls = 0;

  constructor(config: ConvAutoencoderConfig) {
    const shape = [...config.inputShape];
    if (shape.length !== 2 && shape.length !== 3) {
      throw new Error(`inputShape must be [height, width, channels] or [length, channels], got [${shape.join(', ')}]`);
    }
    shape.forEach((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
    if (config.filters.length === 0) throw new Error('filters must name at least one block, e.g. [32, 32]');
    const full = {
      inputShape: shape,
      filters: config.filters.map((f, i) => checkPositiveInt(f, `filters[${i}]`)),
      kernelSize: checkPositiveInt(config.kernelSize ?? 3, 'kernelSize'),
      latentDim: config.latentDim === undefined ? undefined : checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      outputActivation: config.outputActivation ?? 'sigmoid',
      loss: config.loss ?? 'bce',
      corruption: config.corruption === undefined ? undefined : { ...checkCorruption(config.corruption) },
      seed: config.seed,
    };
    checkReconstructionSetup(full.outputActivation, full.loss);
    const oneD = shape.length === 2;
    this.image = oneD ? [shape[0], 1, shape[1]] : [shape[0], shape[1], shape[2]];
    this.pool = oneD ? [2, 1] : [2, 2];
    const factor = 2 ** full.filters.length;
    const spatial = oneD ? [shape[0]] : [shape[0], shape[1]];
    if (spatial.some((d) => d % factor !== 0)) {
      throw new Error(
        `inputShape [${shape.join(', ')}]: with ${full.filters.length} pooling blocks every spatial size must be divisible by ${factor} so that the decoder restores it exactly`,
      );
    }
    this.config = full;
    this.inputSize = shape.reduce((a, b) => a * b, 1);
    const k: Size2 = oneD ? [full.kernelSize, 1] : [full.kernelSize, full.kernelSize];

    const random = new Random(full.seed);
    const scope = uniqueScope(this.name);
    const registry: NamedVariable[] = [];
    const channels = [this.image[2], ...full.filters];
    this.encoder = full.filters.map((f, i) => createConv(k, channels[i], f, [1, 1], full.activation, random, scope, `encoder/${i}`, registry));
    this.codeMapShape = [this.image[0] / factor, oneD ? 1 : this.image[1] / factor, full.filters[full.filters.length - 1]];
    const mapSize = this.codeMapShape[0] * this.codeMapShape[1] * this.codeMapShape[2];
    if (full.latentDim !== undefined) {
      this.toCode = createDense(mapSize, full.latentDim, 'linear', random, scope, 'encoder/code', registry);
      this.fromCode = createDense(full.latentDim, mapSize, full.activation, random, scope, 'decoder/code', registry);
    }
    const back = [...full.filters].reverse();
    this.decoder = back.map((f, i) => createConvTranspose(k, i === 0 ? back[0] : back[i - 1], f, this.pool, full.activation, random, scope, `decoder/${i}`, registry));
    // Linear here: the output activation is applied in `decode`, and BCE uses the logits.
    this.output = createConv(k, back[back.length - 1], this.image[2], [1, 1], 'linear', random, scope, 'decoder/output', registry);
    this.namedVariables = registry;
    this.trainableVariables = registry.map((v) => v.variable);
  }

  /** Size of a code: `latentDim`, or the flattened last feature map. */
  get latentDim(): number {
    return this.config.latentDim ?? this.codeMapShape[0] * this.codeMapShape[1] * this.codeMapShape[2];
  }

  /** `x` as `[batch, rows, cols, channels]`; any shape with the right number of values per example. */
  private asImage(x: tf.Tensor, what: string): tf.Tensor4D {
    return this.flat(x, what).reshape([x.shape[0], ...this.image]);
  }

  /** `x` as `[batch, inputSize]`, checked like `asImage`. */
  private flat(x: tf.Tensor, what: string): tf.Tensor2D {
    return flattenInput(x, this.inputSize, `${this.name}.${what}`, this.config.inputShape);
  }

  /** Codes `[batch, latentDim]` of `x` `[batch, ...inputShape]`. */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.encodeImage(this.asImage(x, 'encode')));
  }

  private encodeImage(x: tf.Tensor4D, trace?: LayerTrace): tf.Tensor2D {
    const conv = this.config.inputShape.length === 2 ? 'Conv1d' : 'Conv2D';
    let h = x;
    this.encoder.forEach((layer, i) => {
      h = applyConv(layer, h);
      trace?.(`encoder/${i}`, `${conv} ${this.config.kernelSize} same ${layer.activation}`, h, [layer.filter, layer.bias]);
      h = maxPool(h, this.pool);
      trace?.(`encoder/${i}/pool`, 'MaxPool 2', h);
    });
    const flat = h.reshape([h.shape[0], -1]) as tf.Tensor2D;
    if (this.toCode === undefined) return flat;
    const z = applyDense(this.toCode, flat);
    trace?.('encoder/code', 'Dense', z, [this.toCode.weight, this.toCode.bias]);
    return z;
  }

  /** Decoder output before the output activation, `[batch, rows, cols, channels]`. */
  private decodeLogits(z: tf.Tensor2D, trace?: LayerTrace): tf.Tensor4D {
    if (z.rank !== 2 || z.shape[1] !== this.latentDim) {
      throw new Error(`${this.name}.decode: expected z of shape [batch, ${this.latentDim}], got [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      let flat = z;
      if (this.fromCode !== undefined) {
        flat = applyDense(this.fromCode, z);
        trace?.('decoder/code', 'Dense', flat, [this.fromCode.weight, this.fromCode.bias]);
      }
      let h = flat.reshape([z.shape[0], ...this.codeMapShape]) as tf.Tensor4D;
      const oneD = this.config.inputShape.length === 2;
      this.decoder.forEach((layer, i) => {
        h = applyConvTranspose(layer, h);
        trace?.(`decoder/${i}`, `${oneD ? 'ConvTranspose1d' : 'Conv2DTranspose'} ${this.config.kernelSize} stride 2 same ${layer.activation}`, h, [layer.filter, layer.bias]);
      });
      const out = applyConv(this.output, h);
      trace?.('decoder/output', `${oneD ? 'Conv1d' : 'Conv2D'} ${this.config.kernelSize} same ${this.config.outputActivation}`, out, [this.output.filter, this.output.bias]);
      return out;
    });
  }

  /** Reconstructions `[batch, ...inputShape]` of codes `z`. */
  decode(z: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => activate(this.decodeLogits(z), this.config.outputActivation).reshape([z.shape[0], ...this.config.inputShape]));
  }

  /** `decode(encode(x))`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.encode(x)).reshape(x.shape));
  }

  /** The code of `x` (deterministic: `encode`). */
  embed(x: tf.Tensor): tf.Tensor2D {
    return this.encode(x);
  }

  /**
   * `{ total, reconstruction }`: the reconstruction loss summed over every value of an example,
   * batch-mean. A denoising autoencoder in training encodes a corrupted copy of `x` (noise seeded
   * by `seed` and `step`) and is scored against the clean `x`.
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const step = options.step ?? this.calls;
    this.calls += 1;
    const { corruption } = this.config;
    return tf.tidy(() => {
      const x = this.flat(batch.x, 'computeLoss');
      const input = options.training === true && corruption !== undefined ? corrupt(x, corruption, mixSeed(this.config.seed, step)) : x;
      const logits = this.decodeLogits(this.encode(input)).reshape([x.shape[0], this.inputSize]) as tf.Tensor2D;
      return reconstructionTerms(x, logits, this.config.loss, this.config.outputActivation);
    });
  }

  /** The layers with their output shapes (for one example) and parameter counts, traced on a zero input, as Keras's `summary()`. */
  summary(): LayerSummary[] {
    const rows: LayerSummary[] = [];
    const trace = summaryRecorder(rows);
    tf.tidy(() => this.decodeLogits(this.encodeImage(tf.zeros([1, ...this.image]), trace), trace));
    return rows;
  }

  /** Frees the weights. */
  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
