import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { checkActivation } from '../nn/dense';
import { ParameterScope } from '../nn/params';
import type { Conditional } from './model';
import type { VaeConfig } from './vae';
import { denseVaeNetworks } from './vae';
import { vaeObjective, VariationalAutoencoder } from './variational-autoencoder';

/** Config of `ConditionalVae`: a `VaeConfig` and the number of classes. */
export interface ConditionalVaeConfig extends VaeConfig {
  /** Number of classes; labels are int32 in `0..classCount-1`. */
  classCount: number;
}

/**
 * A conditional VAE (Sohn et al. 2015): the label, one-hot, is appended to the encoder's input,
 * q(z|x, y), and to the decoder's, p(x|z, y); the prior stays N(0, I). The loss is the negative
 * ELBO of log p(x|y), so training needs labelled batches, and every method that reads x or decodes z
 * takes the labels: `sample(count, seed, labels)` draws examples of the classes asked for.
 */
export class ConditionalVae extends VariationalAutoencoder implements Conditional {
  declare readonly config: Readonly<Required<ConditionalVaeConfig>>;
  readonly classCount: number;

  constructor(config: ConditionalVaeConfig) {
    const objective = vaeObjective(config);
    const full: Required<ConditionalVaeConfig> = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      classCount: checkPositiveInt(config.classCount, 'classCount'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      ...objective,
      seed: config.seed,
    };
    const { encoder, decoder } = denseVaeNetworks(ParameterScope.create('conditional-vae', full.seed), full, full.classCount);
    super({ name: 'conditional-vae', inputShape: [full.inputDim], ...objective, seed: full.seed, config: full }, encoder, decoder);
    this.classCount = full.classCount;
  }

  /** The one-hot labels `[n, classCount]`, checked against the `n` rows they go with. */
  private oneHot(labels: tf.Tensor1D | undefined, rows: number, what: string): tf.Tensor2D {
    if (labels === undefined) throw new Error(`${this.name}: ${what} needs the labels (int32 [${rows}], classes 0..${this.classCount - 1})`);
    if (labels.rank !== 1 || labels.shape[0] !== rows) throw new Error(`${this.name}: ${what} needs one label per row: expected [${rows}], got [${labels.shape.join(', ')}]`);
    return tf.oneHot(labels.toInt(), this.classCount).toFloat() as tf.Tensor2D;
  }

  protected override encoderInput(x: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => tf.concat([x, this.oneHot(labels, x.shape[0], 'the encoder')], 1));
  }

  protected override decoderInput(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => tf.concat([z, this.oneHot(labels, z.shape[0], 'the decoder')], 1));
  }
}
