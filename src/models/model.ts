import type * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../core/random';
import type { Corruption } from '../data/corruption';
import { corrupt } from '../data/corruption';
import type { Network } from '../nn/network';
import { collectVariables } from '../nn/network';
import type { NamedVariable } from '../nn/params';

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
  /** In training, the epoch being trained, from 1 (a KL warm-up or loss-weight schedule reads it); absent in evaluation. */
  epoch?: number;
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
   * Factors on the learning rate of some variables, by name (a fine-tuned encoder trains slower
   * than the layers put on top of it); the rest train at the trainer's rate.
   */
  readonly learningRateScales?: ReadonlyMap<string, number>;
  /**
   * Loss terms on one batch (scalars, batch-mean); `training: false` for evaluation. `step`, the
   * trainer's count of updates so far, seeds any noise a model draws in training, so that a
   * resumed run draws the same noise as an uninterrupted one.
   */
  computeLoss(batch: TrainBatch, options?: LossOptions): LossTerms;
  /**
   * Called by the trainer after each training epoch, before validation and checkpointing (e.g. a
   * VQ-VAE resets dead codebook entries here). `epoch` counts from 1.
   */
  onEpochEnd?(epoch: number): void;
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

/** A model that can draw new examples from its prior. */
export interface Generative {
  /** Size of a code drawn from the prior. */
  readonly latentDim: number;
  /**
   * `count` new examples `[count, ...featureShape]` decoded from codes drawn from the prior with
   * `seed` (the same seed gives the same examples).
   */
  sample(count: number, seed: number): tf.Tensor;
}

/** A model whose encoder and decoder also read a class label (a conditional VAE). */
export interface Conditional {
  /** Number of classes; labels are int32 in `0..classCount-1`. */
  readonly classCount: number;
  /** Codes `[batch, latentDim]` of `x` with its `labels` `[batch]`. */
  encode(x: tf.Tensor, labels: tf.Tensor1D): tf.Tensor2D;
  /** Examples `[batch, ...featureShape]` of class `labels` `[batch]` from codes `z`. */
  decode(z: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor;
}

/** Throws unless `z` is `[batch, latentDim]`, naming `what` (e.g. `vae.decode`). */
export function checkCodeShape(z: tf.Tensor, latentDim: number, what: string): asserts z is tf.Tensor2D {
  if (z.rank !== 2 || z.shape[1] !== latentDim) throw new Error(`${what}: expected z of shape [batch, ${latentDim}], got [${z.shape.join(', ')}]`);
}

/**
 * What every model built from networks shares: its variable lists (the networks' variables in
 * order, each once), `dispose`, and the seed of the noise a loss draws. A model is an objective
 * (its `computeLoss`) over networks it is given.
 */
export abstract class NetworkModel implements TrainableModel {
  abstract readonly name: string;
  abstract readonly config: Readonly<Record<string, unknown>>;
  readonly namedVariables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  /** Variables of networks the model uses but does not train or free (a frozen encoder that another model owns). */
  private readonly frozen: ReadonlySet<tf.Variable>;
  /** computeLoss calls without a step so far: their noise then follows this count. */
  private unsteppedCalls = 0;

  /**
   * `networks` are trained; `frozen` ones are used as they are (their variables are neither
   * trained, checkpointed nor freed by this model).
   */
  protected constructor(networks: readonly Network<never, unknown>[], frozen: readonly Network<never, unknown>[] = []) {
    const { trainable, state } = collectVariables(networks);
    const frozenVariables = collectVariables(frozen);
    this.frozen = new Set([...frozenVariables.trainable, ...frozenVariables.state].map((v) => v.variable));
    const own = (v: NamedVariable) => !this.frozen.has(v.variable);
    this.namedVariables = trainable.filter(own);
    this.stateVariables = state.filter(own);
    this.trainableVariables = this.namedVariables.map((v) => v.variable);
  }

  abstract computeLoss(batch: TrainBatch, options?: LossOptions): LossTerms;

  /**
   * The seed of the noise of one `computeLoss` call: a function of the model's `seed` and the
   * trainer's `step` (without a step, the count of such calls), and of `stream` (to keep apart the
   * noise of training and evaluation, or of two draws of one step).
   */
  protected noiseSeed(seed: number, options: LossOptions, stream?: number): number {
    const step = options.step ?? this.unsteppedCalls;
    if (options.step === undefined) this.unsteppedCalls += 1;
    return stream === undefined ? mixSeed(seed, step) : mixSeed(seed, step, stream);
  }

  /**
   * A denoising model's input: in training with a `corruption`, `x` corrupted with noise seeded by
   * `noiseSeed(seed, options)`; otherwise `x` itself.
   */
  protected corruptInTraining<T extends tf.Tensor>(x: T, corruption: Corruption | undefined, seed: number, options: LossOptions): T {
    if (options.training !== true || corruption === undefined) return x;
    return corrupt(x, corruption, this.noiseSeed(seed, options));
  }

  /** Frees the weights and state variables (not those of frozen networks). */
  dispose(): void {
    for (const v of this.namedVariables) v.variable.dispose();
    for (const v of this.stateVariables) v.variable.dispose();
  }
}
