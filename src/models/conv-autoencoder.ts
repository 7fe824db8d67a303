import type { Corruption } from '../data/corruption';
import { checkCorruption } from '../data/corruption';
import type { Activation } from '../nn/dense';
import { ConvDecoder, ConvEncoder, convGeometry } from '../nn/conv-stack';
import { ParameterScope } from '../nn/params';
import type { ReconstructionLoss } from './autoencoder';
import { Autoencoder, checkReconstructionSetup } from './autoencoder';

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

type ResolvedConvAutoencoderConfig = ConvAutoencoderConfig & Required<Omit<ConvAutoencoderConfig, 'latentDim' | 'corruption'>>;

/**
 * A convolutional autoencoder in 2-D (images) or 1-D (signals): a `ConvEncoder` and its mirror
 * `ConvDecoder` under `Autoencoder`'s objective. With `filters: [32, 32]`, kernel 3 and MNIST this
 * is the lecture's 28,353-parameter model. A 1-D signal runs as an image of width 1.
 */
export class ConvAutoencoder extends Autoencoder {
  declare readonly config: Readonly<ResolvedConvAutoencoderConfig>;
  declare readonly encoder: ConvEncoder;
  declare readonly decoder: ConvDecoder;

  constructor(config: ConvAutoencoderConfig) {
    // The networks' part of the config, checked once by the geometry both networks share.
    const geometry = convGeometry(config);
    const full: ResolvedConvAutoencoderConfig = {
      inputShape: geometry.inputShape,
      filters: geometry.filters,
      kernelSize: geometry.kernelSize,
      latentDim: geometry.latentDim,
      activation: geometry.activation,
      outputActivation: config.outputActivation ?? 'sigmoid',
      loss: config.loss ?? 'bce',
      corruption: config.corruption === undefined ? undefined : { ...checkCorruption(config.corruption) },
      seed: config.seed,
    };
    checkReconstructionSetup(full.outputActivation, full.loss);
    const scope = ParameterScope.create('conv-autoencoder', full.seed);
    const encoder = new ConvEncoder(scope.child('encoder'), full);
    const decoder = new ConvDecoder(scope.child('decoder'), { ...full, outputActivation: full.outputActivation });
    super(
      { name: 'conv-autoencoder', inputShape: geometry.inputShape, latentDim: geometry.codeSize, outputActivation: full.outputActivation, loss: full.loss, corruption: full.corruption, seed: full.seed, config: full as unknown as Readonly<Record<string, unknown>> },
      encoder,
      decoder,
    );
  }

  /** Shape of the last feature map `[rows, cols, channels]` (cols 1 in 1-D). */
  get codeMapShape(): readonly [number, number, number] {
    return this.encoder.geometry.codeMapShape;
  }
}
