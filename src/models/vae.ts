import { checkPositiveInt } from '../core/assert';
import type { Activation } from '../nn/dense';
import { checkActivation } from '../nn/dense';
import { DenseStack } from '../nn/dense-stack';
import { GaussianEncoder, GaussianHead } from '../nn/gaussian';
import { ParameterScope } from '../nn/params';
import type { ReconstructionLoss } from './autoencoder';
import { vaeObjective, VariationalAutoencoder } from './variational-autoencoder';

/** Config of `Vae`. */
export interface VaeConfig {
  /** Values per example, e.g. 784 for MNIST. */
  inputDim: number;
  /** Widths of the encoder's hidden layers, outermost first; the decoder mirrors them. */
  hiddenSizes: readonly number[];
  /** Size of the latent variable `z`. */
  latentDim: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** Weight of the KL term (beta-VAE, Higgins et al. 2017); 1 is the ELBO. Default 1. */
  beta?: number;
  /** `bce` (Bernoulli decoder, data in [0, 1]) or `mse` (Gaussian decoder with unit variance, up to constants). Default `bce`. */
  loss?: ReconstructionLoss;
  /** KL warm-up: epochs over which the KL weight rises linearly to beta (see `VariationalAutoencoderOptions`). Default 0 (none). */
  klWarmupEpochs?: number;
  /** Dynamic binarisation of the training batches (see `VariationalAutoencoderOptions`). Default false. */
  dynamicBinarization?: boolean;
  /** Seed of the initial weights and of the sampling noise. */
  seed: number;
}

/**
 * The networks of a dense VAE: a `DenseStack` trunk and a `GaussianHead` as the encoder, a mirrored
 * `DenseStack` as the decoder. `extraInputs` values (a conditional model's one-hot label) widen the
 * input of both.
 */
export function denseVaeNetworks(
  scope: ParameterScope,
  config: Pick<Required<VaeConfig>, 'inputDim' | 'hiddenSizes' | 'latentDim' | 'activation'>,
  extraInputs = 0,
): { encoder: GaussianEncoder; decoder: DenseStack } {
  const encoderScope = scope.child('encoder');
  // With no hidden layers the trunk only flattens, and the head reads the input itself.
  const trunk = new DenseStack(encoderScope, { inputDim: config.inputDim + extraInputs, widths: config.hiddenSizes, activation: config.activation, outputActivation: config.activation });
  const head = new GaussianHead(encoderScope, { inputDim: trunk.outputDim, latentDim: config.latentDim });
  const decoder = new DenseStack(scope.child('decoder'), {
    inputDim: config.latentDim + extraInputs,
    widths: [...[...config.hiddenSizes].reverse(), config.inputDim],
    activation: config.activation,
    outputActivation: 'linear',
  });
  return { encoder: new GaussianEncoder(trunk, head), decoder };
}

/**
 * A variational autoencoder with dense layers: a `DenseStack` trunk and a `GaussianHead` as the
 * encoder, a mirrored `DenseStack` as the decoder, under `VariationalAutoencoder`'s objective.
 */
export class Vae extends VariationalAutoencoder {
  declare readonly config: Readonly<Required<VaeConfig>>;

  constructor(config: VaeConfig) {
    const objective = vaeObjective(config);
    const full: Required<VaeConfig> = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      ...objective,
      seed: config.seed,
    };
    const { encoder, decoder } = denseVaeNetworks(ParameterScope.create('vae', full.seed), full);
    super({ name: 'vae', inputShape: [full.inputDim], ...objective, seed: full.seed, config: full }, encoder, decoder);
  }
}
