import * as tf from '@tensorflow/tfjs';
import type { Corruption } from '../data/corruption';
import { checkCorruption } from '../data/corruption';
import { sumSquaredError } from '../losses';
import { flattenInput } from '../nn/dense';
import { ParameterScope } from '../nn/params';
import type { ResolvedSignalStackConfig, SignalEncoding, SignalStackConfig } from '../nn/signal-stack';
import { SignalDecoder, SignalEncoder, signalGeometry } from '../nn/signal-stack';
import type { LayerSummary } from '../nn/summary';
import { summaryRecorder } from '../nn/summary';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';
import { checkCodeShape, NetworkModel } from './model';

/** Config of `ConvAutoencoder1d`: the networks' (see `SignalStackConfig`), a corruption and the seed. */
export interface ConvAutoencoder1dConfig extends SignalStackConfig {
  /** A denoising autoencoder: in training, the input is corrupted and the loss compares with the clean signal (use `clip: false` for signals). */
  corruption?: Corruption;
  /** Seed of the initial weights and of the corruption noise. */
  seed: number;
}

type Resolved = ResolvedSignalStackConfig & { corruption?: Corruption; seed: number };

/** What `encodeWithIndices` returns: codes `z` and the pooling indices of each pooling block. */
export type Encoding1d = SignalEncoding;

/**
 * A 1-D convolutional autoencoder for signals `[batch, length, channels]`, after the lecture's: a
 * `SignalEncoder` (a long strided convolution, kernel 80 and stride 16, batch norm, ReLU,
 * max-pooling that keeps its argmax indices; further blocks; a dense code) and its mirror
 * `SignalDecoder` (max-unpooling to the kept indices and transposed convolutions). Squared error
 * loss summed over samples, batch-mean.
 *
 * The indices are side information from the encoder: `reconstruct` uses them; `decode(z)` alone
 * has none and puts each value at the start of its window.
 */
export class ConvAutoencoder1d extends NetworkModel implements RepresentationModel {
  readonly name = 'conv-autoencoder-1d';
  readonly config: Readonly<Resolved>;
  /** Frames after the first convolution (before pooling). */
  readonly frames: number;
  /** Length and channels of the last pooled feature map. */
  readonly codeMapShape: readonly [number, number];
  /** Each block's length after its convolution (before pooling), outermost first. */
  readonly blockLengths: readonly number[];
  readonly encoder: SignalEncoder;
  readonly decoder: SignalDecoder;
  private readonly inputSize: number;

  constructor(config: ConvAutoencoder1dConfig) {
    const geometry = signalGeometry(config);
    const full: Resolved = { ...geometry.config, seed: config.seed };
    if (config.corruption !== undefined) full.corruption = { ...checkCorruption(config.corruption) };
    const scope = ParameterScope.create('conv-autoencoder-1d', full.seed);
    const encoder = new SignalEncoder(scope.child('encoder'), full);
    const decoder = new SignalDecoder(scope.child('decoder'), full);
    super([encoder, decoder]);
    this.encoder = encoder;
    this.decoder = decoder;
    this.config = full;
    this.frames = geometry.frames;
    this.blockLengths = geometry.blockLengths;
    this.codeMapShape = geometry.codeMapShape;
    this.inputSize = full.inputShape[0] * full.inputShape[1];
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /**
   * Bits per signal that the pooling indices pass from the encoder to the decoder beside the code:
   * log2(window) for each pooled value of each channel.
   */
  get indexBits(): number {
    return this.config.poolSizes.reduce((bits, size, i) => bits + Math.floor(this.blockLengths[i] / size) * this.config.filters[i] * Math.log2(size), 0);
  }

  private asSignal(x: tf.Tensor, what: string): tf.Tensor3D {
    return flattenInput(x, this.inputSize, `${this.name}.${what}`, this.config.inputShape).reshape([x.shape[0], ...this.config.inputShape]);
  }

  private decodeWith(z: tf.Tensor2D, indices: readonly tf.Tensor3D[] | undefined, training: boolean): tf.Tensor3D {
    checkCodeShape(z, this.latentDim, `${this.name}.decode`);
    return this.decoder.apply({ z, indices }, { training });
  }

  /** Codes `[batch, latentDim]` of signals `x` `[batch, length, channels]` (running batch-norm statistics). */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(this.asSignal(x, 'encode')).z);
  }

  /** Codes and the pooling indices (the caller disposes both). */
  encodeWithIndices(x: tf.Tensor): Encoding1d {
    const signal = tf.tidy(() => this.asSignal(x, 'encodeWithIndices'));
    try {
      return this.encoder.apply(signal);
    } finally {
      if (signal !== x) signal.dispose();
    }
  }

  /**
   * Signals `[batch, length, channels]` from codes `z`; unpooling uses `indices` (from
   * `encodeWithIndices`) when given, else the start of each window.
   */
  decode(z: tf.Tensor2D, indices?: readonly tf.Tensor3D[]): tf.Tensor3D {
    return tf.tidy(() => this.decodeWith(z, indices, false));
  }

  /** `decode(encode(x))` with the encoder's pooling indices, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const e = this.encoder.apply(this.asSignal(x, 'reconstruct'));
      return this.decodeWith(e.z, e.indices, false).reshape(x.shape);
    });
  }

  embed(x: tf.Tensor): tf.Tensor2D {
    return this.encode(x);
  }

  /**
   * `{ total, reconstruction }`: squared error summed over the samples of a signal, batch-mean.
   * `training: true` uses batch statistics (and updates the running ones) and, for a denoising
   * model, encodes a corrupted copy (noise seeded by `seed` and `step`).
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const training = options.training === true;
    return tf.tidy(() => {
      const x = this.asSignal(batch.x, 'computeLoss');
      const input = this.corruptInTraining(x, this.config.corruption, this.config.seed, options);
      const e = this.encoder.apply(input, { training });
      const xHat = this.decodeWith(e.z, e.indices, training);
      const n = x.shape[0];
      const reconstruction = sumSquaredError(x.reshape([n, this.inputSize]), xHat.reshape([n, this.inputSize]));
      return { total: reconstruction, reconstruction: reconstruction.clone() };
    });
  }

  /** The layers with their output shapes (for one signal) and parameter counts, traced on a zero signal. */
  summary(): LayerSummary[] {
    const rows: LayerSummary[] = [];
    const trace = summaryRecorder(rows);
    tf.tidy(() => {
      const e = this.encoder.apply(tf.zeros([1, ...this.config.inputShape]), { trace });
      this.decoder.apply(e, { trace });
    });
    return rows;
  }
}
