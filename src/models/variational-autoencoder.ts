import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import { binaryCrossEntropyWithLogits, sumSquaredError } from '../losses';
import { activate, flattenInput } from '../nn/dense';
import type { Gaussian } from '../nn/gaussian';
import { reparameterize, standardNormalKl } from '../nn/gaussian';
import type { Network } from '../nn/network';
import type { LayerSummary } from '../nn/summary';
import type { ReconstructionLoss } from './autoencoder';
import type { Generative, LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';
import { checkCodeShape, NetworkModel } from './model';

/** The objective of `VariationalAutoencoder`. */
export interface VariationalAutoencoderOptions {
  /** Model kind that checkpoints record. Default `variational-autoencoder`. */
  readonly name?: string;
  /** Shape of one example, e.g. `[784]` or `[28, 28, 1]`; `decode` and `sample` give this shape. */
  readonly inputShape: readonly number[];
  /** Weight of the KL term (beta-VAE, Higgins et al. 2017); 1 is the ELBO. Default 1. */
  readonly beta?: number;
  /** `bce` (Bernoulli decoder, data in [0, 1]) or `mse` (Gaussian decoder with unit variance, up to constants). Default `bce`. */
  readonly loss?: ReconstructionLoss;
  /** Seed of the sampling noise (the networks' weights are seeded where they are made). */
  readonly seed: number;
  /** What checkpoints record as the model's config. Default: these options. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Checks a VAE's `beta` (a finite number >= 0) and `loss` (bce|mse). */
export function checkVaeObjective(beta: number, loss: string): void {
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new Error(`beta must be a number >= 0, got ${beta}`);
  if (loss !== 'bce' && loss !== 'mse') throw new Error(`loss must be bce|mse, got "${String(loss)}"`);
}

/** Standard normal noise `[rows, cols]` drawn in order from `random`. */
export function standardNormal(rows: number, cols: number, random: Random): tf.Tensor2D {
  const eps = new Float32Array(rows * cols);
  for (let i = 0; i < eps.length; i++) eps[i] = random.normal();
  return tf.tensor2d(eps, [rows, cols]);
}

/**
 * A variational autoencoder (Kingma and Welling 2014) as an objective over two networks (as
 * pythae's `VAE(config, encoder, decoder)`): `encoder` gives the mean and log-variance of a
 * diagonal Gaussian q(z|x) (a `GaussianEncoder`), a code is sampled with the reparameterisation
 * z = mu + exp(logVar / 2) * eps, and `decoder` maps codes to logits with as many values per
 * example as the input. The loss is the negative ELBO: reconstruction (summed over values) +
 * beta * KL(q(z|x) || N(0, I)), both batch-means. The noise eps of the loss is drawn from the seed
 * and the trainer's step (`mixSeed(seed, step)`), so a resumed run draws what an uninterrupted
 * one draws, and calling `encode` (which samples from a generator of its own) between epochs
 * leaves training unchanged.
 */
export class VariationalAutoencoder extends NetworkModel implements RepresentationModel, Generative {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputShape: readonly number[];
  readonly latentDim: number;
  readonly beta: number;
  readonly loss: ReconstructionLoss;
  readonly seed: number;
  private readonly inputSize: number;
  /** The generator of `encode`'s samples; the loss never draws from it. */
  private readonly noise: Random;

  constructor(
    options: VariationalAutoencoderOptions,
    readonly encoder: Network<tf.Tensor, Gaussian> & { readonly latentDim: number },
    readonly decoder: Network<tf.Tensor2D, tf.Tensor>,
  ) {
    super([encoder, decoder]);
    const beta = options.beta ?? 1;
    const loss = options.loss ?? 'bce';
    checkVaeObjective(beta, loss);
    this.name = options.name ?? 'variational-autoencoder';
    this.inputShape = options.inputShape.map((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
    this.inputSize = this.inputShape.reduce((a, b) => a * b, 1);
    this.latentDim = checkPositiveInt(encoder.latentDim, 'latentDim');
    this.beta = beta;
    this.loss = loss;
    this.seed = options.seed;
    this.noise = new Random(mixSeed(options.seed, 1));
    this.config = options.config ?? { ...options, beta, loss };
  }

  private flat(x: tf.Tensor, what: string): tf.Tensor2D {
    return flattenInput(x, this.inputSize, `${this.name}.${what}`, this.inputShape.length > 1 ? this.inputShape : undefined);
  }

  /** The parameters of q(z|x): `mean` and `logVar`, each `[batch, latentDim]`. */
  posterior(x: tf.Tensor): Gaussian {
    const out = tf.tidy(() => {
      const q = this.encoder.apply(this.flat(x, 'posterior'));
      return [q.mean, q.logVar];
    });
    return { mean: out[0] as tf.Tensor2D, logVar: out[1] as tf.Tensor2D };
  }

  /** A sample z ~ q(z|x) `[batch, latentDim]` (reparameterised). */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const q = this.posterior(x);
      return reparameterize(q, standardNormal(q.mean.shape[0], this.latentDim, this.noise));
    });
  }

  /** The posterior mean, `[batch, latentDim]`: the deterministic code for plots and downstream use. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.posterior(x).mean);
  }

  /** Decoder output before the output activation, `[batch, inputSize]`. */
  decodeLogits(z: tf.Tensor2D, options: { training?: boolean } = {}): tf.Tensor2D {
    checkCodeShape(z, this.latentDim, `${this.name}.decode`);
    return tf.tidy(() => this.decoder.apply(z, options).reshape([z.shape[0], this.inputSize]));
  }

  /** The decoder's mean `[batch, ...inputShape]` for codes `z`. */
  decode(z: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => activate(this.decodeLogits(z), this.loss === 'bce' ? 'sigmoid' : 'linear').reshape([z.shape[0], ...this.inputShape]));
  }

  /** The decoder's mean at the posterior mean of `x`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.embed(x)).reshape(x.shape));
  }

  /** `count` new examples: the decoder's mean at codes drawn from the prior N(0, I) with `seed`. */
  sample(count: number, seed: number): tf.Tensor {
    checkPositiveInt(count, 'count');
    return tf.tidy(() => this.decode(standardNormal(count, this.latentDim, new Random(seed))));
  }

  /**
   * `{ total, reconstruction, kl }`: the negative ELBO (with beta) and its two terms, batch-means, one
   * sample of z per example. The noise is a function of the seed and `options.step` (the trainer's
   * update count in training, the batch's index in evaluation), so the same step draws the same eps;
   * without a step, the count of such calls stands in for it.
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const training = options.training === true;
    const seed = training ? this.noiseSeed(this.seed, options) : this.noiseSeed(this.seed, options, 1);
    return tf.tidy(() => {
      const x = this.flat(batch.x, 'computeLoss');
      const q = this.encoder.apply(x, { training });
      const z = reparameterize(q, standardNormal(x.shape[0], this.latentDim, new Random(seed)));
      const logits = this.decodeLogits(z, { training });
      const reconstruction = this.loss === 'bce' ? binaryCrossEntropyWithLogits(x, logits) : sumSquaredError(x, logits).mul<tf.Scalar>(0.5);
      const kl = standardNormalKl(q);
      const total = reconstruction.add(kl.mul(this.beta)) as tf.Scalar;
      return { total, reconstruction, kl };
    });
  }

  /** The encoder's then the decoder's layers, with output shapes and parameter counts. */
  summary(): LayerSummary[] {
    return [...this.encoder.summary(), ...this.decoder.summary()];
  }
}
