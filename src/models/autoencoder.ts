import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { Corruption } from '../data/corruption';
import { checkCorruption } from '../data/corruption';
import { binaryCrossEntropyWithLogits, contractivePenalty, klSparsityPenalty, l1ActivityPenalty, sumSquaredError } from '../losses';
import { activate, flattenInput } from '../nn/dense';
import { DenseStack } from '../nn/dense-stack';
import type { Network } from '../nn/network';
import type { LayerSummary } from '../nn/summary';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';
import { checkCodeShape, NetworkModel } from './model';

/** Reconstruction losses of an autoencoder. */
export type ReconstructionLoss = 'bce' | 'mse';

/**
 * Checks an autoencoder's output activation and reconstruction loss: `bce` needs a sigmoid output.
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

/**
 * A sparsity penalty on the code z: `l1` adds weight * sum_j |z_j|; `kl` adds
 * weight * sum_j KL(target || mean activation of unit j) and needs a sigmoid code.
 */
export type SparsityConfig = { penalty: 'l1'; weight: number } | { penalty: 'kl'; target: number; weight: number };

/** Checks a sparsity config (the `kl` penalty's need of a sigmoid code is the caller's to check). */
export function checkSparsity(sparsity: SparsityConfig): void {
  if (sparsity.penalty !== 'l1' && sparsity.penalty !== 'kl') throw new Error(`sparsity.penalty must be l1|kl, got "${String((sparsity as { penalty?: unknown }).penalty)}"`);
  if (!Number.isFinite(sparsity.weight) || sparsity.weight < 0) throw new Error(`sparsity.weight must be a number >= 0, got ${sparsity.weight}`);
  if (sparsity.penalty === 'kl' && !(sparsity.target > 0 && sparsity.target < 1)) throw new Error(`sparsity.target must be in (0, 1), got ${sparsity.target}`);
}

/** The objective of `Autoencoder`: what it reconstructs and how it is scored. */
export interface AutoencoderOptions {
  /** Model kind that checkpoints record. Default `autoencoder`. */
  readonly name?: string;
  /** Shape of one example, e.g. `[784]` or `[28, 28, 1]`; `decode` gives this shape. */
  readonly inputShape: readonly number[];
  /** Size of a code (the encoder's output width). */
  readonly latentDim: number;
  /** `sigmoid` for data in [0, 1], `linear` for unbounded data. Default `sigmoid`. */
  readonly outputActivation?: 'sigmoid' | 'linear';
  /** `bce` (needs a sigmoid output) or `mse` (squared error). Default `bce`. */
  readonly loss?: ReconstructionLoss;
  /** A sparse autoencoder: a penalty on the code, added to the loss as the term `sparsity`. */
  readonly sparsity?: SparsityConfig;
  /** A denoising autoencoder: in training, the input is corrupted and the loss compares its reconstruction with the clean input. */
  readonly corruption?: Corruption;
  /** A contractive autoencoder: this weight times ||dz/dx||_F^2 (closed form: the encoder must be one sigmoid dense layer), added as the term `contractive`. */
  readonly contractiveWeight?: number;
  /** Seed of the corruption noise (the networks' weights are seeded where they are made). */
  readonly seed: number;
  /** What checkpoints record as the model's config. Default: these options. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * An autoencoder as an objective over two networks (as pythae's `AE(config, encoder, decoder)`):
 * `encoder` maps examples to codes `[batch, latentDim]`, `decoder` maps codes to logits with as
 * many values per example as the input (the output activation is applied here, and BCE uses the
 * logits). The loss is summed over the values of an example and averaged over the batch; the
 * variants are options: `sparsity` (sparse), `corruption` (denoising), `contractiveWeight`
 * (contractive), whose penalties are extra loss terms. `embed` is `encode`.
 */
export class Autoencoder extends NetworkModel implements RepresentationModel {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputShape: readonly number[];
  readonly latentDim: number;
  protected readonly options: Readonly<Required<Pick<AutoencoderOptions, 'outputActivation' | 'loss' | 'seed'>> & AutoencoderOptions>;
  private readonly inputSize: number;

  constructor(
    options: AutoencoderOptions,
    readonly encoder: Network<tf.Tensor, tf.Tensor2D>,
    readonly decoder: Network<tf.Tensor2D, tf.Tensor>,
  ) {
    super([encoder, decoder]);
    const full = { ...options, outputActivation: options.outputActivation ?? 'sigmoid', loss: options.loss ?? 'bce' } as const;
    checkReconstructionSetup(full.outputActivation, full.loss);
    if (full.sparsity !== undefined) checkSparsity(full.sparsity);
    if (full.corruption !== undefined) checkCorruption(full.corruption);
    if (full.contractiveWeight !== undefined) {
      if (!Number.isFinite(full.contractiveWeight) || full.contractiveWeight < 0) throw new Error(`contractiveWeight must be a number >= 0, got ${full.contractiveWeight}`);
      if (!(encoder instanceof DenseStack) || encoder.layers.length !== 1 || encoder.layers[0].activation !== 'sigmoid') {
        throw new Error('contractiveWeight needs an encoder of one sigmoid dense layer (its closed form)');
      }
    }
    this.name = full.name ?? 'autoencoder';
    this.options = full;
    this.inputShape = full.inputShape.map((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
    this.inputSize = this.inputShape.reduce((a, b) => a * b, 1);
    this.latentDim = checkPositiveInt(full.latentDim, 'latentDim');
    this.config = full.config ?? { ...options };
  }

  /** `x` as `[batch, inputSize]`; any shape with the right number of values per example. */
  protected flat(x: tf.Tensor, what: string): tf.Tensor2D {
    return flattenInput(x, this.inputSize, `${this.name}.${what}`, this.inputShape.length > 1 ? this.inputShape : undefined);
  }

  /** Codes `[batch, latentDim]` of `x` `[batch, ...inputShape]`. */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(this.flat(x, 'encode')));
  }

  /** Decoder output before the output activation, `[batch, inputSize]`. */
  decodeLogits(z: tf.Tensor2D, options: { training?: boolean } = {}): tf.Tensor2D {
    checkCodeShape(z, this.latentDim, `${this.name}.decode`);
    return tf.tidy(() => this.decoder.apply(z, options).reshape([z.shape[0], this.inputSize]));
  }

  /** Reconstructions `[batch, ...inputShape]` (in the data's range) of codes `z` `[batch, latentDim]`. */
  decode(z: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => activate(this.decodeLogits(z), this.options.outputActivation).reshape([z.shape[0], ...this.inputShape]));
  }

  /** `decode(encode(x))`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.encode(x)).reshape(x.shape));
  }

  /** The code of `x`, `[batch, latentDim]`; deterministic (it is `encode`). */
  embed(x: tf.Tensor): tf.Tensor2D {
    return this.encode(x);
  }

  /**
   * `{ total, reconstruction }`: the configured reconstruction loss, summed over an example's
   * values, batch-mean; plus `sparsity` and `contractive` for those variants. A denoising
   * autoencoder in training encodes a corrupted copy of `x` (noise seeded by `seed` and `step`)
   * and is scored against the clean `x`.
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const { corruption, sparsity, contractiveWeight, loss, outputActivation } = this.options;
    const training = options.training === true;
    return tf.tidy(() => {
      const x = this.flat(batch.x, 'computeLoss');
      const input = this.corruptInTraining(x, corruption, this.options.seed, options);
      const z = this.encoder.apply(input, { training });
      const terms = reconstructionTerms(x, this.decodeLogits(z, { training }), loss, outputActivation);
      const extra: Record<string, tf.Scalar> = {};
      if (sparsity !== undefined) {
        extra.sparsity = sparsity.penalty === 'l1' ? l1ActivityPenalty(z, sparsity.weight) : klSparsityPenalty(z, sparsity.target, sparsity.weight);
      }
      if (contractiveWeight !== undefined) extra.contractive = contractivePenalty(z, (this.encoder as DenseStack).layers[0].weight as tf.Tensor2D, contractiveWeight);
      const total = Object.values(extra).reduce<tf.Scalar>((sum, term) => sum.add(term), terms.total);
      return { ...terms, ...extra, total };
    });
  }

  /** The encoder's then the decoder's layers, with output shapes and parameter counts (as Keras's `summary()`). */
  summary(): LayerSummary[] {
    return [...this.encoder.summary(), ...this.decoder.summary()];
  }
}
