import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import { binaryCrossEntropyWithLogits, sumSquaredError } from '../losses';
import type { Activation, DenseLayer, NamedVariable } from '../nn/dense';
import { activate, applyStack, checkActivation, createDense, flattenInput, uniqueScope } from '../nn/dense';
import type { LossTerms, RepresentationModel, TrainBatch } from './model';

/** Reconstruction losses of an autoencoder. */
export type ReconstructionLoss = 'bce' | 'mse';

/**
 * Checks an autoencoder's output activation and reconstruction loss (shared by the dense and
 * convolutional autoencoders): `bce` needs a sigmoid output.
 */
export function checkReconstructionSetup(outputActivation: string, loss: string): void {
  if (outputActivation !== 'sigmoid' && outputActivation !== 'linear') {
    throw new Error(`outputActivation must be sigmoid|linear, got "${outputActivation}"`);
  }
  if (loss !== 'bce' && loss !== 'mse') throw new Error(`loss must be bce|mse, got "${loss}"`);
  if (loss === 'bce' && outputActivation !== 'sigmoid') {
    throw new Error('loss "bce" needs outputActivation "sigmoid" (cross-entropy is defined for outputs in (0, 1))');
  }
}

/**
 * `{ total, reconstruction }` of an autoencoder from the decoder's `logits` (before the output
 * activation), both `[batch, features]`: BCE on the logits, or squared error of the activated output.
 */
export function reconstructionTerms(x: tf.Tensor2D, logits: tf.Tensor2D, loss: ReconstructionLoss, outputActivation: 'sigmoid' | 'linear'): LossTerms {
  const reconstruction = loss === 'bce' ? binaryCrossEntropyWithLogits(x, logits) : sumSquaredError(x, activate(logits, outputActivation));
  return { total: reconstruction, reconstruction: reconstruction.clone() };
}

/** Config of `DenseAutoencoder`. */
export interface DenseAutoencoderConfig {
  /** Values per example, e.g. 784 for MNIST. */
  inputDim: number;
  /** Widths of the encoder's hidden layers, outermost first; the decoder mirrors them. E.g. `[256, 64]`. */
  hiddenSizes: readonly number[];
  /** Size of the code `z`. */
  latentDim: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** Activation of the code layer. Default `linear`. */
  latentActivation?: Activation;
  /** Activation of the output: `sigmoid` for data in [0, 1], `linear` for unbounded data. Default `sigmoid`. */
  outputActivation?: 'sigmoid' | 'linear';
  /** `bce` (binary cross-entropy, needs a sigmoid output) or `mse` (squared error). Default `bce`. */
  loss?: ReconstructionLoss;
  /** Seed of the initial weights. */
  seed: number;
}

/**
 * A fully connected autoencoder: encoder `inputDim -> hiddenSizes... -> latentDim`, decoder the
 * mirror image. The loss is summed over features and averaged over the batch; `embed` is `encode`.
 */
export class DenseAutoencoder implements RepresentationModel {
  readonly name = 'dense-autoencoder';
  readonly config: Readonly<Required<DenseAutoencoderConfig>>;
  readonly namedVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  private readonly encoder: DenseLayer[];
  private readonly decoder: DenseLayer[];

  constructor(config: DenseAutoencoderConfig) {
    const full: Required<DenseAutoencoderConfig> = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      latentActivation: checkActivation(config.latentActivation ?? 'linear', 'latentActivation'),
      outputActivation: config.outputActivation ?? 'sigmoid',
      loss: config.loss ?? 'bce',
      seed: config.seed,
    };
    checkReconstructionSetup(full.outputActivation, full.loss);
    this.config = full;
    const random = new Random(full.seed);
    const scope = uniqueScope(this.name);
    const registry: NamedVariable[] = [];
    const widths = [full.inputDim, ...full.hiddenSizes, full.latentDim];
    this.encoder = widths.slice(1).map((out, i) =>
      createDense(widths[i], out, i === widths.length - 2 ? full.latentActivation : full.activation, random, scope, `encoder/${i}`, registry),
    );
    const back = [...widths].reverse();
    // The output layer stays linear here: the sigmoid is applied in `decode`, and BCE uses the logits.
    this.decoder = back.slice(1).map((out, i) =>
      createDense(back[i], out, i === back.length - 2 ? 'linear' : full.activation, random, scope, `decoder/${i}`, registry),
    );
    this.namedVariables = registry;
    this.trainableVariables = registry.map((v) => v.variable);
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /** Codes `[batch, latentDim]` of `x` `[batch, inputDim]` (or images with `inputDim` values each). */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => applyStack(this.encoder, flattenInput(x, this.config.inputDim, `${this.name}.encode`)));
  }

  /** Decoder output before the output activation: `[batch, inputDim]`. */
  decodeLogits(z: tf.Tensor2D): tf.Tensor2D {
    if (z.rank !== 2 || z.shape[1] !== this.config.latentDim) {
      throw new Error(`${this.name}.decode: expected z of shape [batch, ${this.config.latentDim}], got [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => applyStack(this.decoder, z));
  }

  /** Reconstructions `[batch, inputDim]` of codes `z` `[batch, latentDim]`. */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => activate(this.decodeLogits(z), this.config.outputActivation));
  }

  /** `decode(encode(x))`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.encode(x)).reshape(x.shape));
  }

  /** The code of `x`, `[batch, latentDim]`; deterministic (it is `encode`). */
  embed(x: tf.Tensor): tf.Tensor2D {
    return this.encode(x);
  }

  /** `{ total, reconstruction }`: the configured reconstruction loss, summed over features, batch-mean. */
  computeLoss(batch: TrainBatch): LossTerms {
    return tf.tidy(() => {
      const x = flattenInput(batch.x, this.config.inputDim, `${this.name}.computeLoss`);
      return reconstructionTerms(x, this.decodeLogits(this.encode(x)), this.config.loss, this.config.outputActivation);
    });
  }

  /** Frees the weights. */
  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
