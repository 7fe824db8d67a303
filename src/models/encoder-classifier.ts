import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { binaryCrossEntropyWithLogits, softmaxCrossEntropy } from '../losses';
import { DenseStack } from '../nn/dense-stack';
import type { Gaussian } from '../nn/gaussian';
import type { ApplyOptions, Network } from '../nn/network';
import { ParameterScope } from '../nn/params';
import type { LayerSummary } from '../nn/summary';
import type { LossOptions, LossTerms, TrainBatch } from './model';
import { nanUnlessLabelsIn } from './classifier';
import { NetworkModel } from './model';

/** How the encoder of an `EncoderClassifier` trains. */
export type EncoderTraining = 'frozen' | 'fine-tune';

/** Config of `EncoderClassifier`. */
export interface EncoderClassifierConfig {
  /** Width of the encoder's code, the input of the new layers. */
  readonly latentDim: number;
  /** `'binary'`: one logit and the binary cross-entropy (labels 0 and 1); a number n >= 2: n logits and the softmax cross-entropy. */
  readonly classes: 'binary' | number;
  /**
   * Widths of the new hidden layers (ReLU, each followed by dropout). Default: the lecture's
   * `AE_classifier`, `[floor(latentDim / 3), floor(latentDim / 9)]` (layers of width 0 left out);
   * `[]` puts a single linear layer on the code: logistic (softmax) regression.
   */
  readonly hiddenSizes?: readonly number[];
  /** Dropout after each new hidden layer, in training. Default 0.2 (the lecture's). */
  readonly dropout?: number;
  /**
   * `frozen` (default): the encoder's weights stay as they are, only the new layers train, and the
   * encoder runs as in evaluation (batch norm on its running statistics); `fine-tune`: the
   * encoder trains too, at `encoderLearningRateScale` times the trainer's learning rate.
   */
  readonly encoderTraining?: EncoderTraining;
  /** The encoder's learning rate relative to the new layers' when fine-tuning. Default 0.1. */
  readonly encoderLearningRateScale?: number;
  /** Seed of the new layers' initial weights and of the dropout masks. */
  readonly seed: number;
}

/**
 * A classifier on a (pretrained) encoder's codes, as the lecture's `AE_classifier`: the encoder,
 * then Linear(latent, latent/3), ReLU, Dropout 0.2, Linear(latent/3, latent/9), ReLU, Dropout 0.2,
 * Linear(latent/9, 1) as one logit. The encoder is frozen (not trained, not checkpointed) or
 * fine-tuned at a lower learning rate; either way it is not freed, as it belongs to the model it
 * came from, and fine-tuning changes that model's encoder in place (`copyWeights` first to keep
 * the pretrained weights in a second model). A pass-through encoder (`identityEncoder`) makes it
 * a classifier on the raw input.
 */
export class EncoderClassifier extends NetworkModel {
  readonly name = 'encoder-classifier';
  readonly config: Readonly<Record<string, unknown>>;
  /** The new layers: code to logits. */
  readonly head: DenseStack;
  readonly learningRateScales: ReadonlyMap<string, number>;
  readonly encoderTraining: EncoderTraining;
  private readonly binary: boolean;
  private readonly seed: number;

  constructor(
    readonly encoder: Network<tf.Tensor, tf.Tensor2D>,
    config: EncoderClassifierConfig,
  ) {
    const latentDim = checkPositiveInt(config.latentDim, 'latentDim');
    const binary = config.classes === 'binary';
    if (!binary && !(Number.isSafeInteger(config.classes) && (config.classes as number) >= 2)) {
      throw new Error(`classes must be 'binary' or a whole number >= 2, got ${String(config.classes)}`);
    }
    const encoderTraining = config.encoderTraining ?? 'frozen';
    if (encoderTraining !== 'frozen' && encoderTraining !== 'fine-tune') throw new Error(`encoderTraining must be 'frozen' or 'fine-tune', got "${String(encoderTraining)}"`);
    const scale = config.encoderLearningRateScale ?? 0.1;
    if (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale)) throw new Error(`encoderLearningRateScale must be a finite number > 0, got ${String(scale)}`);
    const hiddenSizes = config.hiddenSizes ?? [Math.floor(latentDim / 3), Math.floor(latentDim / 9)].filter((w) => w > 0);
    const scope = ParameterScope.create('encoder-classifier', config.seed);
    const head = new DenseStack(scope.child('classifier'), {
      inputDim: latentDim,
      widths: [...hiddenSizes.map((w, i) => checkPositiveInt(w, `hiddenSizes[${i}]`)), binary ? 1 : (config.classes as number)],
      dropout: config.dropout ?? 0.2,
    });
    super(encoderTraining === 'frozen' ? [head] : [encoder, head], encoderTraining === 'frozen' ? [encoder] : []);
    this.head = head;
    this.binary = binary;
    this.seed = config.seed;
    this.encoderTraining = encoderTraining;
    this.learningRateScales = new Map(encoderTraining === 'frozen' ? [] : encoder.variables.map((v) => [v.name, scale] as const));
    this.config = { latentDim, classes: config.classes, hiddenSizes: [...hiddenSizes], dropout: head.dropout, encoderTraining, encoderLearningRateScale: scale, seed: config.seed, encoder: encoder.name };
  }

  /** Number of classes (2 for `'binary'`): `train` checks the labels against it. */
  get classCount(): number {
    return this.binary ? 2 : (this.config.classes as number);
  }

  /** The encoder's codes `[batch, latentDim]`. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(x));
  }

  /** Logits: `[batch, 1]` for a binary task, `[batch, classes]` otherwise. Dropout is on only with `training` (and then needs `seed`). */
  logits(x: tf.Tensor, options: { training?: boolean; seed?: number } = {}): tf.Tensor2D {
    return tf.tidy(() => {
      // A frozen encoder always runs as in evaluation: its batch-norm statistics are not ours to update.
      const encoderOptions: ApplyOptions = { training: this.encoderTraining === 'fine-tune' && options.training === true };
      const z = this.encoder.apply(x, encoderOptions);
      if (z.rank !== 2 || z.shape[1] !== this.head.inputDim) throw new Error(`${this.name}: the encoder gives [${z.shape.join(', ')}], expected [batch, ${this.head.inputDim}] (latentDim)`);
      return this.head.apply(z, { training: options.training, seed: options.seed });
    });
  }

  /** Binary: the probability of class 1, `[batch]`; otherwise the softmax over classes, `[batch, classes]`. */
  probabilities(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => (this.binary ? this.logits(x).sigmoid().reshape([-1]) : this.logits(x).softmax()));
  }

  /** The predicted class, int32 `[batch]` (binary: 1 where the logit is above 0, i.e. probability above 0.5). */
  predict(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => (this.binary ? this.logits(x).reshape([-1]).greater(0).cast('int32') : this.logits(x).argMax(1)) as tf.Tensor1D);
  }

  /** `{ total, crossEntropy }`: binary or softmax cross-entropy against `batch.labels`, batch-mean. */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const labels = batch.labels;
    if (labels === undefined) throw new Error(`${this.name}.computeLoss: the batch has no labels`);
    if (labels.shape[0] !== batch.x.shape[0]) throw new Error(`${this.name}.computeLoss: ${labels.shape[0]} labels for ${batch.x.shape[0]} examples`);
    const training = options.training === true;
    const seed = training ? this.noiseSeed(this.seed, options) : undefined;
    return tf.tidy(() => {
      const logits = this.logits(batch.x, { training, seed });
      const loss = this.binary ? binaryCrossEntropyWithLogits(labels.cast('float32').reshape([-1, 1]) as tf.Tensor2D, logits) : softmaxCrossEntropy(labels, logits);
      const crossEntropy = nanUnlessLabelsIn(labels, this.classCount, loss);
      return { total: crossEntropy, crossEntropy: crossEntropy.clone() };
    });
  }

  /** Frees the new layers only: the encoder, frozen or fine-tuned, belongs to the model it came from. */
  override dispose(): void {
    for (const v of this.head.variables) v.variable.dispose();
  }

  /** The encoder's layers, then the new ones. */
  summary(): LayerSummary[] {
    return [...this.encoder.summary(), ...this.head.summary()];
  }
}

/** A network that passes its input through (flattened to `[batch, inputDim]`): a classifier on raw features. */
export function identityEncoder(inputDim: number): DenseStack {
  return new DenseStack(ParameterScope.create('identity', 0).child('input'), { inputDim, widths: [] });
}

/** The mean of a Gaussian encoder q(z|x) (a VAE's) as a network of its own: the deterministic code used downstream. */
export function meanEncoder(encoder: Network<tf.Tensor, Gaussian>): Network<tf.Tensor, tf.Tensor2D> {
  return {
    name: encoder.name,
    variables: encoder.variables,
    stateVariables: encoder.stateVariables,
    apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor2D {
      const q = encoder.apply(x, options);
      q.logVar.dispose();
      return q.mean;
    },
    summary: () => encoder.summary(),
  };
}
