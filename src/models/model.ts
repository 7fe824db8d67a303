import type * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../nn/dense';

/** One batch as tensors: inputs `x` `[batch, ...featureShape]` and, for supervised models, int32 `labels` `[batch]`. */
export interface TrainBatch {
  readonly x: tf.Tensor;
  readonly labels?: tf.Tensor1D;
}

/** Options of `computeLoss`. */
export interface LossOptions {
  /** True in training (noise and corruption on), false in evaluation. Default false. */
  training?: boolean;
  /** In training, the trainer's number of updates before this one; in evaluation, the batch's index. Seeds any noise. */
  step?: number;
}

/** Named scalar loss terms; `total` is what the optimiser minimises, the others are reported. */
export type LossTerms = { total: tf.Scalar } & Record<string, tf.Scalar>;

/** What the trainer needs from a model. */
export interface TrainableModel {
  /** Model kind, e.g. `dense-autoencoder`; checkpoints record it. */
  readonly name: string;
  /** The model's config as plain JSON; checkpoints record it and refuse a different one. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The variables the optimiser updates, with names stable across instances. */
  readonly namedVariables: readonly NamedVariable[];
  /**
   * Variables the model updates itself in training, not the optimiser (batch-norm running
   * statistics); checkpoints and the trainer's best-weights snapshot keep them with the weights.
   */
  readonly stateVariables?: readonly NamedVariable[];
  /** The variables the optimiser updates. */
  readonly trainableVariables: readonly tf.Variable[];
  /**
   * Loss terms on one batch (scalars, batch-mean); `training: false` for evaluation. `step`, the
   * trainer's count of updates so far, seeds any noise a model draws in training, so that a
   * resumed run draws the same noise as an uninterrupted one.
   */
  computeLoss(batch: TrainBatch, options?: LossOptions): LossTerms;
  /** Frees every variable. */
  dispose(): void;
}

/** The one interface of replearn's representation models (autoencoders and their variants). */
export interface RepresentationModel extends TrainableModel {
  /** Size of a code. */
  readonly latentDim: number;
  /** Codes `z` `[batch, latentDim]` of inputs `x` `[batch, ...featureShape]`. */
  encode(x: tf.Tensor): tf.Tensor2D;
  /** Reconstructions `[batch, ...featureShape]` (in the data's range) of codes `z` `[batch, latentDim]`. */
  decode(z: tf.Tensor2D): tf.Tensor;
  /** `decode(encode(x))`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor;
  /** A deterministic code `[batch, latentDim]` for visualisation and downstream use. */
  embed(x: tf.Tensor): tf.Tensor2D;
}
