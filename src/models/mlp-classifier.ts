import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { Random } from '../core/random';
import { softmaxCrossEntropy } from '../losses';
import type { Activation, DenseLayer, NamedVariable } from '../nn/dense';
import { applyDense, applyStack, checkActivation, createDense, flattenInput, uniqueScope } from '../nn/dense';
import type { LossTerms, TrainableModel, TrainBatch } from './model';

/** Config of `MlpClassifier`. */
export interface MlpClassifierConfig {
  /** Values per example, e.g. 784 for MNIST. */
  inputDim: number;
  /** Widths of the hidden layers, e.g. `[128, 2]` for a 2-D layer that can be plotted. */
  hiddenSizes: readonly number[];
  /** Number of classes. */
  classCount: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** Activation of the last hidden layer (the one `embed` reads out). Default: `activation`. */
  readoutActivation?: Activation;
  /** Seed of the initial weights. */
  seed: number;
}

/**
 * A multilayer perceptron classifier whose last hidden layer can be read out with `embed`, to see
 * the representation that supervised training shapes. Loss: softmax cross-entropy, batch-mean.
 */
export class MlpClassifier implements TrainableModel {
  readonly name = 'mlp-classifier';
  readonly config: Readonly<Required<MlpClassifierConfig>>;
  readonly namedVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  private readonly hidden: DenseLayer[];
  private readonly output: DenseLayer;

  constructor(config: MlpClassifierConfig) {
    if (config.hiddenSizes.length === 0) throw new Error('hiddenSizes must name at least one hidden layer');
    const activation = checkActivation(config.activation ?? 'relu', 'activation');
    const full: Required<MlpClassifierConfig> = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      classCount: checkPositiveInt(config.classCount, 'classCount'),
      activation,
      readoutActivation: checkActivation(config.readoutActivation ?? activation, 'readoutActivation'),
      seed: config.seed,
    };
    if (full.classCount < 2) throw new Error(`classCount must be at least 2, got ${full.classCount}`);
    this.config = full;
    const random = new Random(full.seed);
    const scope = uniqueScope(this.name);
    const registry: NamedVariable[] = [];
    const widths = [full.inputDim, ...full.hiddenSizes];
    this.hidden = widths.slice(1).map((out, i) =>
      createDense(widths[i], out, i === widths.length - 2 ? full.readoutActivation : full.activation, random, scope, `hidden/${i}`, registry),
    );
    this.output = createDense(widths[widths.length - 1], full.classCount, 'linear', random, scope, 'output', registry);
    this.namedVariables = registry;
    this.trainableVariables = registry.map((v) => v.variable);
  }

  /** Number of classes; `train` checks each dataset's `classCount` and labels against it. */
  get classCount(): number {
    return this.config.classCount;
  }

  /** Width of the read-out layer. */
  get latentDim(): number {
    return this.config.hiddenSizes[this.config.hiddenSizes.length - 1];
  }

  /** Activations of the last hidden layer, `[batch, latentDim]`: the learned representation. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => applyStack(this.hidden, flattenInput(x, this.config.inputDim, `${this.name}.embed`)));
  }

  /** Class scores before the softmax, `[batch, classCount]`. */
  logits(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => applyDense(this.output, this.embed(x)));
  }

  /** The most likely class of each example, int32 `[batch]`. */
  predict(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => this.logits(x).argMax(1) as tf.Tensor1D);
  }

  /**
   * `{ total, crossEntropy }`: softmax cross-entropy against `batch.labels` `[batch]`, batch-mean;
   * NaN when a label lies outside `0..classCount-1` (`train` refuses such labels before training).
   */
  computeLoss(batch: TrainBatch): LossTerms {
    const labels = batch.labels;
    if (labels === undefined) throw new Error(`${this.name}.computeLoss: the batch has no labels`);
    if (labels.shape[0] !== batch.x.shape[0]) {
      throw new Error(`${this.name}.computeLoss: ${labels.shape[0]} labels for ${batch.x.shape[0]} examples`);
    }
    return tf.tidy(() => {
      // The one-hot of a label outside 0..classCount-1 is all zeros, which would add a loss of 0:
      // such a batch gets a NaN loss instead, checked on the device without a read-back.
      const inRange = tf.logicalAnd(labels.greaterEqual(0), labels.less(this.config.classCount)).all();
      const crossEntropy = tf.where(inRange, softmaxCrossEntropy(labels, this.logits(batch.x)), tf.scalar(Number.NaN)) as tf.Scalar;
      return { total: crossEntropy, crossEntropy: crossEntropy.clone() };
    });
  }

  /** Frees the weights. */
  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
