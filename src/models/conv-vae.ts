import { checkPositiveInt } from '../core/assert';
import type { Activation } from '../nn/dense';
import { checkActivation } from '../nn/dense';
import { ConvDecoder, ConvEncoder } from '../nn/conv-stack';
import { GaussianEncoder, GaussianHead } from '../nn/gaussian';
import { ParameterScope } from '../nn/params';
import type { ReconstructionLoss } from './autoencoder';
import { vaeObjective, VariationalAutoencoder } from './variational-autoencoder';

/** Config of `ConvVae`. */
export interface ConvVaeConfig {
  /** Shape of one example: `[height, width, channels]` (e.g. `[28, 28, 1]`) or `[length, channels]`. */
  inputShape: readonly number[];
  /** Channels of each encoder block (convolution and 2x max-pool), outermost first. Default `[32, 64]`. */
  filters?: readonly number[];
  /** Kernel size. Default 3. */
  kernelSize?: number;
  /** Size of the latent variable `z`. */
  latentDim: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** Weight of the KL term. Default 1. */
  beta?: number;
  /** Default `bce` (Bernoulli decoder). */
  loss?: ReconstructionLoss;
  /** KL warm-up: epochs over which the KL weight rises linearly to beta (see `VariationalAutoencoderOptions`). Default 0 (none). */
  klWarmupEpochs?: number;
  /** Dynamic binarisation of the training batches (see `VariationalAutoencoderOptions`). Default false. */
  dynamicBinarization?: boolean;
  /** Seed of the initial weights and of the sampling noise. */
  seed: number;
}

/**
 * A convolutional VAE: a `ConvEncoder` trunk (its flattened last feature map) and a `GaussianHead`
 * as q(z|x), and a `ConvDecoder` from z (a dense layer back to the feature map, then transposed
 * convolutions), under `VariationalAutoencoder`'s objective.
 */
export class ConvVae extends VariationalAutoencoder {
  declare readonly config: Readonly<Required<ConvVaeConfig>>;

  constructor(config: ConvVaeConfig) {
    const objective = vaeObjective(config);
    const full: Required<ConvVaeConfig> = {
      inputShape: [...config.inputShape],
      filters: [...(config.filters ?? [32, 64])],
      kernelSize: config.kernelSize ?? 3,
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      ...objective,
      seed: config.seed,
    };
    const scope = ParameterScope.create('conv-vae', full.seed);
    const stack = { inputShape: full.inputShape, filters: full.filters, kernelSize: full.kernelSize, activation: full.activation };
    const trunk = new ConvEncoder(scope.child('encoder'), stack);
    const head = new GaussianHead(scope.child('encoder'), { inputDim: trunk.outputDim, latentDim: full.latentDim });
    const decoder = new ConvDecoder(scope.child('decoder'), { ...stack, latentDim: full.latentDim, outputActivation: full.loss === 'bce' ? 'sigmoid' : 'linear' });
    super({ name: 'conv-vae', inputShape: trunk.geometry.inputShape, ...objective, seed: full.seed, config: full }, new GaussianEncoder(trunk, head), decoder);
  }
}
