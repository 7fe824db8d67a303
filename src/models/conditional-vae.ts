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

  protected override encoderInput(x: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return withOneHotLabels(x, labels, this.classCount, `${this.name}: the encoder`);
  }

  protected override decoderInput(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return withOneHotLabels(z, labels, this.classCount, `${this.name}: the decoder`);
  }
}

/**
 * `values` `[n, d]` with the one-hot `labels` (int32 `[n]`, classes 0..classCount-1) appended,
 * `[n, d + classCount]`: the input of a conditional model's encoder or decoder. Missing labels, or
 * not one per row, are an error naming `what` (e.g. `conditional-vae: the encoder`).
 */
export function withOneHotLabels(values: tf.Tensor2D, labels: tf.Tensor1D | undefined, classCount: number, what: string): tf.Tensor2D {
  const rows = values.shape[0];
  if (labels === undefined) throw new Error(`${what} needs the labels (int32 [${rows}], classes 0..${classCount - 1})`);
  if (labels.rank !== 1 || labels.shape[0] !== rows) throw new Error(`${what} needs one label per row: expected [${rows}], got [${labels.shape.join(', ')}]`);
  return tf.tidy(() => tf.concat([values, tf.oneHot(labels.toInt(), classCount).toFloat() as tf.Tensor2D], 1));
}
