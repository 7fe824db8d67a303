import type * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { Corruption } from '../data/corruption';
import { checkCorruption } from '../data/corruption';
import type { Activation } from '../nn/dense';
import { checkActivation } from '../nn/dense';
import { DenseStack } from '../nn/dense-stack';
import { ParameterScope } from '../nn/params';
import type { ReconstructionLoss, SparsityConfig } from './autoencoder';
import { Autoencoder, checkReconstructionSetup, checkSparsity } from './autoencoder';

export type { ReconstructionLoss, SparsityConfig } from './autoencoder';

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

function resolve(config: DenseAutoencoderConfig): ResolvedDenseAutoencoderConfig {
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
  const { sparsity, contractiveWeight } = full;
  if (sparsity !== undefined) {
    checkSparsity(sparsity);
    if (sparsity.penalty === 'kl' && full.latentActivation !== 'sigmoid') {
      throw new Error(`sparsity.penalty "kl" needs latentActivation "sigmoid" (average activations must lie in (0, 1)), got "${full.latentActivation}"`);
    }
  }
  if (full.corruption !== undefined) checkCorruption(full.corruption);
  if (contractiveWeight !== undefined) {
    if (!Number.isFinite(contractiveWeight) || contractiveWeight < 0) throw new Error(`contractiveWeight must be a number >= 0, got ${contractiveWeight}`);
    if (full.hiddenSizes.length !== 0 || full.latentActivation !== 'sigmoid') {
      throw new Error(
        `contractiveWeight needs a one-layer sigmoid encoder (hiddenSizes: [], latentActivation: "sigmoid") for its closed form, got hiddenSizes [${full.hiddenSizes.join(', ')}] and latentActivation "${full.latentActivation}"`,
      );
    }
  }
  return full;
}

/**
 * A fully connected autoencoder: encoder `inputDim -> hiddenSizes... -> latentDim`, decoder the
 * mirror image (two `DenseStack`s under `Autoencoder`'s objective). The variants are options:
 * `sparsity` (sparse), `corruption` (denoising), `contractiveWeight` (contractive).
 */
export class DenseAutoencoder extends Autoencoder {
  declare readonly config: Readonly<ResolvedDenseAutoencoderConfig>;
  declare readonly encoder: DenseStack;

  constructor(config: DenseAutoencoderConfig) {
    const full = resolve(config);
    const scope = ParameterScope.create('dense-autoencoder', full.seed);
    const encoder = new DenseStack(scope.child('encoder'), {
      inputDim: full.inputDim,
      widths: [...full.hiddenSizes, full.latentDim],
      activation: full.activation,
      outputActivation: full.latentActivation,
    });
    // The output layer stays linear: the objective applies the output activation, and BCE uses the logits.
    const decoder = new DenseStack(scope.child('decoder'), {
      inputDim: full.latentDim,
      widths: [...[...full.hiddenSizes].reverse(), full.inputDim],
      activation: full.activation,
      outputActivation: 'linear',
    });
    super({ ...full, name: 'dense-autoencoder', inputShape: [full.inputDim], config: full }, encoder, decoder);
  }

  /** The first encoder layer's weight matrix `[inputDim, width]`: its columns are the features the first layer detects. */
  get firstLayerWeights(): tf.Variable {
    return this.encoder.layers[0].weight;
  }
}
