import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import type { Corruption } from '../data/corruption';
import { checkCorruption, corrupt } from '../data/corruption';
import { binaryCrossEntropyWithLogits, contractivePenalty, klSparsityPenalty, l1ActivityPenalty, sumSquaredError } from '../losses';
import type { Activation, DenseLayer, NamedVariable } from '../nn/dense';
import { activate, applyStack, checkActivation, createDense, flattenInput, uniqueScope } from '../nn/dense';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';

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

/**
 * A sparsity penalty on the code z: `l1` adds weight * sum_j |z_j|; `kl` adds
 * weight * sum_j KL(target || mean activation of unit j) and needs a sigmoid code.
 */
export type SparsityConfig = { penalty: 'l1'; weight: number } | { penalty: 'kl'; target: number; weight: number };

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
  /** A sparse autoencoder: a penalty on the code, added to the loss as the term `sparsity`. */
  sparsity?: SparsityConfig;
  /** A denoising autoencoder: in training, the input is corrupted and the loss compares its reconstruction with the clean input. */
  corruption?: Corruption;
  /**
   * A contractive autoencoder: this weight times ||dz/dx||_F^2, added as the term `contractive`
   * (closed form: needs a one-layer encoder, `hiddenSizes: []`, with a sigmoid code).
   */
  contractiveWeight?: number;
  /** Seed of the initial weights and of the corruption noise. */
  seed: number;
}

/** The variants' fields, optional in a resolved config too. */
type VariantFields = 'sparsity' | 'corruption' | 'contractiveWeight';

/** A `DenseAutoencoderConfig` with every default filled in. */
export type ResolvedDenseAutoencoderConfig = Required<Omit<DenseAutoencoderConfig, VariantFields>> & Pick<DenseAutoencoderConfig, VariantFields>;

function checkVariants(config: ResolvedDenseAutoencoderConfig): void {
  const { sparsity, contractiveWeight } = config;
  if (sparsity !== undefined) {
    if (sparsity.penalty !== 'l1' && sparsity.penalty !== 'kl') throw new Error(`sparsity.penalty must be l1|kl, got "${String((sparsity as { penalty?: unknown }).penalty)}"`);
    if (!Number.isFinite(sparsity.weight) || sparsity.weight < 0) throw new Error(`sparsity.weight must be a number >= 0, got ${sparsity.weight}`);
    if (sparsity.penalty === 'kl') {
      if (!(sparsity.target > 0 && sparsity.target < 1)) throw new Error(`sparsity.target must be in (0, 1), got ${sparsity.target}`);
      if (config.latentActivation !== 'sigmoid') {
        throw new Error(`sparsity.penalty "kl" needs latentActivation "sigmoid" (average activations must lie in (0, 1)), got "${config.latentActivation}"`);
      }
    }
  }
  if (config.corruption !== undefined) checkCorruption(config.corruption);
  if (contractiveWeight !== undefined) {
    if (!Number.isFinite(contractiveWeight) || contractiveWeight < 0) throw new Error(`contractiveWeight must be a number >= 0, got ${contractiveWeight}`);
    if (config.hiddenSizes.length !== 0 || config.latentActivation !== 'sigmoid') {
      throw new Error(
        `contractiveWeight needs a one-layer sigmoid encoder (hiddenSizes: [], latentActivation: "sigmoid") for its closed form, got hiddenSizes [${config.hiddenSizes.join(', ')}] and latentActivation "${config.latentActivation}"`,
      );
    }
  }
}

/**
 * A fully connected autoencoder: encoder `inputDim -> hiddenSizes... -> latentDim`, decoder the
 * mirror image. The loss is summed over features and averaged over the batch; `embed` is `encode`.
 * The variants are options: `sparsity` (sparse), `corruption` (denoising), `contractiveWeight`
 * (contractive); their penalties are extra loss terms.
 */
export class DenseAutoencoder implements RepresentationModel {
  readonly name = 'dense-autoencoder';
  readonly config: Readonly<ResolvedDenseAutoencoderConfig>;
  readonly namedVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  private readonly encoder: DenseLayer[];
  private readonly decoder: DenseLayer[];

  private calls = 0;

  constructor(config: DenseAutoencoderConfig) {
    const full: ResolvedDenseAutoencoderConfig = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      latentActivation: checkActivation(config.latentActivation ?? 'linear', 'latentActivation'),
      outputActivation: config.outputActivation ?? 'sigmoid',
      loss: config.loss ?? 'bce',
      seed: config.seed,
    };
    // Variants are stored only when asked for, so a plain autoencoder's config (and checkpoints) stay as they were.
    if (config.sparsity !== undefined) full.sparsity = { ...config.sparsity };
    if (config.corruption !== undefined) full.corruption = { ...config.corruption };
    if (config.contractiveWeight !== undefined) full.contractiveWeight = config.contractiveWeight;
    checkReconstructionSetup(full.outputActivation, full.loss);
    checkVariants(full);
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

  /**
   * `{ total, reconstruction }`: the configured reconstruction loss, summed over features,
   * batch-mean; plus `sparsity` and `contractive` for those variants. A denoising autoencoder in
   * training encodes a corrupted copy of `x` (noise seeded by `seed` and `step`) and is scored
   * against the clean `x`.
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const { corruption, sparsity, contractiveWeight } = this.config;
    const step = options.step ?? this.calls;
    this.calls += 1;
    return tf.tidy(() => {
      const x = flattenInput(batch.x, this.config.inputDim, `${this.name}.computeLoss`);
      const input = options.training === true && corruption !== undefined ? corrupt(x, corruption, mixSeed(this.config.seed, step)) : x;
      const z = this.encode(input);
      const terms = reconstructionTerms(x, this.decodeLogits(z), this.config.loss, this.config.outputActivation);
      const extra: Record<string, tf.Scalar> = {};
      if (sparsity !== undefined) {
        extra.sparsity = sparsity.penalty === 'l1' ? l1ActivityPenalty(z, sparsity.weight) : klSparsityPenalty(z, sparsity.target, sparsity.weight);
      }
      if (contractiveWeight !== undefined) extra.contractive = contractivePenalty(z, this.encoder[0].weight as tf.Tensor2D, contractiveWeight);
      const total = Object.values(extra).reduce<tf.Scalar>((sum, term) => sum.add(term), terms.total);
      return { ...terms, ...extra, total };
    });
  }

  /** The first encoder layer's weight matrix `[inputDim, width]`: its columns are the features the first layer detects. */
  get firstLayerWeights(): tf.Variable {
    return this.encoder[0].weight;
  }

  /** Frees the weights. */
  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
