import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { softmaxCrossEntropy } from '../losses';
import type { Network } from '../nn/network';
import type { LayerSummary } from '../nn/summary';
import type { LossTerms, TrainBatch } from './model';
import { NetworkModel } from './model';

/** The objective of `ClassifierModel`. */
export interface ClassifierOptions {
  /** Model kind that checkpoints record. Default `classifier`. */
  readonly name?: string;
  /** Number of classes (the head's output width). */
  readonly classCount: number;
  /**
   * Keep the body's weights as they are: only the head trains (a linear probe or a small
   * classifier on a frozen encoder). The body's variables then belong to the model it came from:
   * this one neither checkpoints nor frees them. Default false.
   */
  readonly freezeBody?: boolean;
  /** What checkpoints record as the model's config. Default: these options. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * A classifier as an objective over two networks: `body` maps examples to features
 * `[batch, featureDim]` (hidden layers, or a trained encoder), `head` maps features to class
 * scores `[batch, classCount]`. Loss: softmax cross-entropy, batch-mean. `embed` gives the body's
 * features, the representation that supervised training shapes.
 */
export class ClassifierModel extends NetworkModel {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  private readonly classes: number;

  constructor(
    options: ClassifierOptions,
    readonly body: Network<tf.Tensor, tf.Tensor2D>,
    readonly head: Network<tf.Tensor2D, tf.Tensor2D>,
  ) {
    super(options.freezeBody === true ? [head] : [body, head], options.freezeBody === true ? [body] : []);
    this.classes = checkPositiveInt(options.classCount, 'classCount');
    if (this.classes < 2) throw new Error(`classCount must be at least 2, got ${this.classes}`);
    this.name = options.name ?? 'classifier';
    this.config = options.config ?? { ...options };
  }

  /** Number of classes; `train` checks each dataset's `classCount` and labels against it. */
  get classCount(): number {
    return this.classes;
  }

  /** The body's features `[batch, featureDim]`: the learned representation. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.body.apply(x));
  }

  /** Class scores before the softmax, `[batch, classCount]`. */
  logits(x: tf.Tensor, options: { training?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const scores = this.head.apply(this.body.apply(x, options), options);
      if (scores.rank !== 2 || scores.shape[1] !== this.classes) throw new Error(`${this.name}: the head gives [${scores.shape.join(', ')}], expected [batch, ${this.classes}]`);
      return scores;
    });
  }

  /** The most likely class of each example, int32 `[batch]`. */
  predict(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => this.logits(x).argMax(1) as tf.Tensor1D);
  }

  /**
   * `{ total, crossEntropy }`: softmax cross-entropy against `batch.labels` `[batch]`, batch-mean;
   * NaN when a label lies outside `0..classCount-1` (`train` refuses such labels before training).
   */
  computeLoss(batch: TrainBatch, options: { training?: boolean } = {}): LossTerms {
    const labels = batch.labels;
    if (labels === undefined) throw new Error(`${this.name}.computeLoss: the batch has no labels`);
    if (labels.shape[0] !== batch.x.shape[0]) {
      throw new Error(`${this.name}.computeLoss: ${labels.shape[0]} labels for ${batch.x.shape[0]} examples`);
    }
    return tf.tidy(() => {
      const crossEntropy = nanUnlessLabelsIn(labels, this.classes, softmaxCrossEntropy(labels, this.logits(batch.x, { training: options.training === true })));
      return { total: crossEntropy, crossEntropy: crossEntropy.clone() };
    });
  }

  /** The body's then the head's layers. */
  summary(): LayerSummary[] {
    return [...this.body.summary(), ...this.head.summary()];
  }
}

/**
 * `loss`, or NaN when a label lies outside `0..classCount-1`: the one-hot of such a label is all
 * zeros, which would add a loss of 0, so the batch gets a NaN loss instead, checked on the device
 * without a read-back (`train` refuses such labels before training; this guards hand-written loops).
 */
export function nanUnlessLabelsIn(labels: tf.Tensor1D, classCount: number, loss: tf.Scalar): tf.Scalar {
  return tf.tidy(() => {
    const inRange = tf.logicalAnd(labels.greaterEqual(0), labels.less(classCount)).all();
    return tf.where(inRange, loss, tf.scalar(Number.NaN)) as tf.Scalar;
  });
}
