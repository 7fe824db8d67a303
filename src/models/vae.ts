import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import { binaryCrossEntropyWithLogits, sumSquaredError } from '../losses';
import type { Activation, DenseLayer, NamedVariable } from '../nn/dense';
import { activate, applyDense, applyStack, checkActivation, createDense, flattenInput, uniqueScope } from '../nn/dense';
import type { ReconstructionLoss } from './dense-autoencoder';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';

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
  /** Seed of the initial weights and of the sampling noise. */
  seed: number;
}

/**
 * A variational autoencoder (Kingma and Welling 2014) with dense layers: the encoder gives the
 * mean and log-variance of a diagonal Gaussian q(z|x), a code is sampled with the
 * reparameterisation z = mu + exp(logVar / 2) * eps, and the loss is the negative ELBO:
 * reconstruction (summed over features) + beta * KL(q(z|x) || N(0, I)), both batch-means.
 * The noise eps of the loss is drawn from the seed and the trainer's step (`mixSeed(seed, step)`), so
 * a resumed run draws what an uninterrupted one draws, and calling `encode` (which samples from a
 * generator of its own) between epochs leaves training unchanged.
 */
export class Vae implements RepresentationModel {
  readonly name = 'vae';
  readonly config: Readonly<Required<VaeConfig>>;
  readonly namedVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  private readonly encoder: DenseLayer[];
  private readonly mean: DenseLayer;
  private readonly logVar: DenseLayer;
  private readonly decoder: DenseLayer[];
  /** The generator of `encode`'s samples; the loss never draws from it. */
  private readonly noise: Random;
  /** computeLoss calls without a step so far: their noise then follows this count. */
  private calls = 0;

  constructor(config: VaeConfig) {
    const full: Required<VaeConfig> = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      latentDim: checkPositiveInt(config.latentDim, 'latentDim'),
      activation: checkActivation(config.activation ?? 'relu', 'activation'),
      beta: config.beta ?? 1,
      loss: config.loss ?? 'bce',
      seed: config.seed,
    };
    if (!(full.beta >= 0) || !Number.isFinite(full.beta)) throw new Error(`beta must be a number >= 0, got ${full.beta}`);
    if (full.loss !== 'bce' && full.loss !== 'mse') throw new Error(`loss must be bce|mse, got "${String(full.loss)}"`);
    this.config = full;
    const random = new Random(full.seed);
    this.noise = new Random(mixSeed(full.seed, 1));
    const scope = uniqueScope(this.name);
    const registry: NamedVariable[] = [];
    const widths = [full.inputDim, ...full.hiddenSizes];
    this.encoder = widths.slice(1).map((out, i) => createDense(widths[i], out, full.activation, random, scope, `encoder/${i}`, registry));
    const top = widths[widths.length - 1];
    this.mean = createDense(top, full.latentDim, 'linear', random, scope, 'encoder/mean', registry);
    this.logVar = createDense(top, full.latentDim, 'linear', random, scope, 'encoder/logVar', registry);
    const back = [full.latentDim, ...[...full.hiddenSizes].reverse(), full.inputDim];
    this.decoder = back.slice(1).map((out, i) => createDense(back[i], out, i === back.length - 2 ? 'linear' : full.activation, random, scope, `decoder/${i}`, registry));
    this.namedVariables = registry;
    this.trainableVariables = registry.map((v) => v.variable);
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /** The parameters of q(z|x): `mean` and `logVar`, each `[batch, latentDim]`. */
  posterior(x: tf.Tensor): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    return tf.tidy(() => {
      const h = applyStack(this.encoder, flattenInput(x, this.config.inputDim, `${this.name}.posterior`));
      return { mean: applyDense(this.mean, h), logVar: applyDense(this.logVar, h) };
    });
  }

  /** Standard normal noise `[rows, latentDim]` from `random`. */
  private sampleNoise(rows: number, random: Random): tf.Tensor2D {
    const eps = new Float32Array(rows * this.config.latentDim);
    for (let i = 0; i < eps.length; i++) eps[i] = random.normal();
    return tf.tensor2d(eps, [rows, this.config.latentDim]);
  }

  /** A sample z ~ q(z|x) `[batch, latentDim]` (reparameterised). */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const { mean, logVar } = this.posterior(x);
      return mean.add(logVar.mul(0.5).exp().mul(this.sampleNoise(mean.shape[0], this.noise)));
    });
  }

  /** The posterior mean, `[batch, latentDim]`: the deterministic code for plots and downstream use. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.posterior(x).mean);
  }

  private decodeLogits(z: tf.Tensor2D): tf.Tensor2D {
    if (z.rank !== 2 || z.shape[1] !== this.config.latentDim) {
      throw new Error(`${this.name}.decode: expected z of shape [batch, ${this.config.latentDim}], got [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => applyStack(this.decoder, z));
  }

  /** The decoder's mean `[batch, inputDim]` for codes `z`. */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => activate(this.decodeLogits(z), this.config.loss === 'bce' ? 'sigmoid' : 'linear'));
  }

  /** The decoder's mean at the posterior mean of `x`, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.embed(x)).reshape(x.shape));
  }

  /**
   * `{ total, reconstruction, kl }`: the negative ELBO (with beta) and its two terms, batch-means, one
   * sample of z per example. The noise is a function of the seed and `options.step` (the trainer's
   * update count in training, the batch's index in evaluation), so the same step draws the same eps;
   * without a step, the count of such calls stands in for it.
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const step = options.step ?? this.calls;
    if (options.step === undefined) this.calls += 1;
    const seed = options.training === true ? mixSeed(this.config.seed, step) : mixSeed(this.config.seed, step, 1);
    return tf.tidy(() => {
      const x = flattenInput(batch.x, this.config.inputDim, `${this.name}.computeLoss`);
      const { mean, logVar } = this.posterior(x);
      const z = mean.add<tf.Tensor2D>(logVar.mul(0.5).exp().mul(this.sampleNoise(x.shape[0], new Random(seed))));
      const logits = this.decodeLogits(z);
      const reconstruction = this.config.loss === 'bce' ? binaryCrossEntropyWithLogits(x, logits) : sumSquaredError(x, logits).mul<tf.Scalar>(0.5);
      // KL(N(mu, sigma^2) || N(0, 1)) = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2), in closed form.
      const kl = tf.tidy(() => logVar.add(1).sub(mean.square()).sub(logVar.exp()).sum(1).mean().mul(-0.5)) as tf.Scalar;
      const total = reconstruction.add(kl.mul(this.config.beta)) as tf.Scalar;
      return { total, reconstruction: reconstruction as tf.Scalar, kl };
    });
  }

  /** Frees the weights. */
  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
