import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import { bernoulliDraw, uniformNoise } from '../data/binarize';
import { binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsPerExample, sumSquaredError } from '../losses';
import { activate, flattenInput } from '../nn/dense';
import type { Gaussian } from '../nn/gaussian';
import { reparameterize, standardNormalKl, standardNormalKlPerExample } from '../nn/gaussian';
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
  /**
   * KL warm-up (Bowman et al. 2016; Sønderby et al. 2016): in training epoch e (from 1) the KL
   * term is weighted beta * min(1, e / klWarmupEpochs); evaluation always uses beta. 0 (the
   * default) turns it off.
   */
  readonly klWarmupEpochs?: number;
  /**
   * Dynamic binarisation: in training, each value v of a batch is replaced by a Bernoulli(v) draw,
   * new at every step (seeded by the step), as in the binarised-MNIST benchmarks; evaluation takes
   * inputs as they are (binarise a test set once with `binarize`). Default false.
   */
  readonly dynamicBinarization?: boolean;
  /** Seed of the sampling noise (the networks' weights are seeded where they are made). */
  readonly seed: number;
  /** What checkpoints record as the model's config. Default: these options. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Checks a VAE's `beta` (a finite number >= 0), `loss` (bce|mse) and `klWarmupEpochs` (an integer >= 0). */
export function checkVaeObjective(beta: number, loss: string, klWarmupEpochs = 0): void {
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new Error(`beta must be a number >= 0, got ${beta}`);
  if (loss !== 'bce' && loss !== 'mse') throw new Error(`loss must be bce|mse, got "${String(loss)}"`);
  if (!Number.isSafeInteger(klWarmupEpochs) || klWarmupEpochs < 0) throw new Error(`klWarmupEpochs must be an integer >= 0, got ${klWarmupEpochs}`);
}

/** The objective fields of a VAE's config, defaults filled in. */
export interface VaeObjective {
  beta: number;
  loss: ReconstructionLoss;
  klWarmupEpochs: number;
  dynamicBinarization: boolean;
}

/** `config`'s objective fields with their defaults (beta 1, bce, no warm-up, no binarisation), checked. */
export function vaeObjective(config: Partial<VaeObjective>): VaeObjective {
  const objective = { beta: config.beta ?? 1, loss: config.loss ?? 'bce', klWarmupEpochs: config.klWarmupEpochs ?? 0, dynamicBinarization: config.dynamicBinarization ?? false };
  checkVaeObjective(objective.beta, objective.loss, objective.klWarmupEpochs);
  return objective;
}

const logTwoPi = Math.log(2 * Math.PI);

/** log N(z; mean, diag exp(logVar)) of each row of `z` `[n, d]`, summed over the d dimensions: `[n]`. */
export function diagonalGaussianLogDensity(z: tf.Tensor2D, mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.squaredDifference(z, mean).div(logVar.exp()).add(logVar).add(logTwoPi).sum(1).mul(-0.5)) as tf.Tensor1D;
}

/** log N(z; 0, I) of each row of `z` `[n, d]`: `[n]`. */
export function standardNormalLogDensity(z: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => z.square().add(logTwoPi).sum(1).mul(-0.5)) as tf.Tensor1D;
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
  readonly klWarmupEpochs: number;
  readonly dynamicBinarization: boolean;
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
    const klWarmupEpochs = options.klWarmupEpochs ?? 0;
    checkVaeObjective(beta, loss, klWarmupEpochs);
    this.name = options.name ?? 'variational-autoencoder';
    this.inputShape = options.inputShape.map((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
    this.inputSize = this.inputShape.reduce((a, b) => a * b, 1);
    this.latentDim = checkPositiveInt(encoder.latentDim, 'latentDim');
    this.beta = beta;
    this.loss = loss;
    this.klWarmupEpochs = klWarmupEpochs;
    this.dynamicBinarization = options.dynamicBinarization ?? false;
    this.seed = options.seed;
    this.noise = new Random(mixSeed(options.seed, 1));
    this.config = options.config ?? { ...options, beta, loss, klWarmupEpochs, dynamicBinarization: this.dynamicBinarization };
  }

  private flat(x: tf.Tensor, what: string): tf.Tensor2D {
    return flattenInput(x, this.inputSize, `${this.name}.${what}`, this.inputShape.length > 1 ? this.inputShape : undefined);
  }

  /**
   * The encoder's input for examples `x` `[n, inputSize]`: `x` itself here; a conditional model
   * appends its `labels` `[n]` (every method that reads x or decodes z passes them on).
   */
  protected encoderInput(x: tf.Tensor2D, _labels?: tf.Tensor1D): tf.Tensor2D {
    return x;
  }

  /** The decoder's input for codes `z` `[n, latentDim]`: `z` itself here; a conditional model appends its labels. */
  protected decoderInput(z: tf.Tensor2D, _labels?: tf.Tensor1D): tf.Tensor2D {
    return z;
  }

  /** The parameters of q(z|x): `mean` and `logVar`, each `[batch, latentDim]`. */
  posterior(x: tf.Tensor, labels?: tf.Tensor1D): Gaussian {
    const out = tf.tidy(() => {
      const q = this.encoder.apply(this.encoderInput(this.flat(x, 'posterior'), labels));
      return [q.mean, q.logVar];
    });
    return { mean: out[0] as tf.Tensor2D, logVar: out[1] as tf.Tensor2D };
  }

  /** A sample z ~ q(z|x) `[batch, latentDim]` (reparameterised). */
  encode(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => {
      const q = this.posterior(x, labels);
      return reparameterize(q, standardNormal(q.mean.shape[0], this.latentDim, this.noise));
    });
  }

  /** The posterior mean, `[batch, latentDim]`: the deterministic code for plots and downstream use. */
  embed(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => this.posterior(x, labels).mean);
  }

  /** Decoder output before the output activation, `[batch, inputSize]`. */
  decodeLogits(z: tf.Tensor2D, options: { training?: boolean; labels?: tf.Tensor1D } = {}): tf.Tensor2D {
    checkCodeShape(z, this.latentDim, `${this.name}.decode`);
    return tf.tidy(() => this.decoder.apply(this.decoderInput(z, options.labels), { training: options.training }).reshape([z.shape[0], this.inputSize]));
  }

  /** The decoder's mean `[batch, ...inputShape]` for codes `z`. */
  decode(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor {
    return tf.tidy(() => activate(this.decodeLogits(z, { labels }), this.loss === 'bce' ? 'sigmoid' : 'linear').reshape([z.shape[0], ...this.inputShape]));
  }

  /** The decoder's mean at the posterior mean of `x`, shaped like `x`. */
  reconstruct(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor {
    return tf.tidy(() => this.decode(this.embed(x, labels), labels).reshape(x.shape));
  }

  /** `count` new examples: the decoder's mean at codes drawn from the prior N(0, I) with `seed`. */
  sample(count: number, seed: number, labels?: tf.Tensor1D): tf.Tensor {
    checkPositiveInt(count, 'count');
    return tf.tidy(() => this.decode(standardNormal(count, this.latentDim, new Random(seed)), labels));
  }

  /** The weight of the KL term in a training step of `epoch` (from 1): beta, times min(1, epoch / klWarmupEpochs) in a warm-up. */
  klWeight(epoch?: number): number {
    if (this.klWarmupEpochs === 0 || epoch === undefined) return this.beta;
    return this.beta * Math.min(1, epoch / this.klWarmupEpochs);
  }

  /**
   * log p(x|z) per example `[n]` of inputs `x` `[n, inputSize]` under decoder logits `[n, inputSize]`:
   * Bernoulli (bce) sum(x l - log(1 + e^l)), or Gaussian with unit variance (mse)
   * -1/2 sum (x - l)^2 - D/2 log(2 pi). The training loss is minus this, without that constant for mse.
   */
  decoderLogLikelihood(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.loss === 'bce') return binaryCrossEntropyWithLogitsPerExample(x, logits).neg();
      return tf.squaredDifference(x, logits).sum(1).mul(-0.5).sub((this.inputSize / 2) * logTwoPi);
    }) as tf.Tensor1D;
  }

  /**
   * The ELBO of each example `[n]`: E_q[log p(x|z)] (one reparameterised sample of z, drawn with
   * `seed`) minus KL(q(z|x) || N(0, I)) in closed form. With bce its batch-mean is minus the
   * training loss at beta 1; with mse it also counts the Gaussian's constant.
   */
  elbo(x: tf.Tensor, seed: number, labels?: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => {
      const xf = this.flat(x, 'elbo');
      const q = this.encoder.apply(this.encoderInput(xf, labels));
      const z = reparameterize(q, standardNormal(xf.shape[0], this.latentDim, new Random(seed)));
      return this.decoderLogLikelihood(xf, this.decodeLogits(z, { labels })).sub(standardNormalKlPerExample(q));
    }) as tf.Tensor1D;
  }

  /**
   * Importance weights of `samples` codes z_j ~ q(z|x) per example, in logs: log p(x|z_j) + log p(z_j)
   * - log q(z_j|x), `[n, samples]` (Burda et al. 2016). log (1/k) sum_j exp(w_j) over the first k
   * columns is the k-sample bound on log p(x); k = 1 is the ELBO in expectation. The noise is drawn
   * with `seed`, example by example, so a prefix of the columns is the estimate with fewer samples.
   */
  importanceLogWeights(x: tf.Tensor, samples: number, seed: number, labels?: tf.Tensor1D): tf.Tensor2D {
    checkPositiveInt(samples, 'samples');
    return tf.tidy(() => {
      const xf = this.flat(x, 'importanceLogWeights');
      const n = xf.shape[0];
      const d = this.latentDim;
      const q = this.encoder.apply(this.encoderInput(xf, labels));
      const repeatedLabels = labels === undefined ? undefined : (labels.expandDims(1).tile([1, samples]).reshape([n * samples]) as tf.Tensor1D);
      const repeat = (t: tf.Tensor2D, width: number) => t.expandDims(1).tile([1, samples, 1]).reshape([n * samples, width]) as tf.Tensor2D;
      const mean = repeat(q.mean, d);
      const logVar = repeat(q.logVar, d);
      const z = reparameterize({ mean, logVar }, standardNormal(n * samples, d, new Random(seed)));
      const logPx = this.decoderLogLikelihood(repeat(xf, this.inputSize), this.decodeLogits(z, { labels: repeatedLabels }));
      return logPx.add(standardNormalLogDensity(z)).sub(diagonalGaussianLogDensity(z, mean, logVar)).reshape([n, samples]);
    }) as tf.Tensor2D;
  }

  /**
   * The reconstruction term of the training loss, a batch-mean of values summed per example:
   * binary cross-entropy (bce) or half the squared error (mse, the Gaussian's constant left out).
   * A model with other output distributions (per-column heads) overrides it with
   * `decoderLogLikelihood`.
   */
  protected reconstructionLoss(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
    return this.loss === 'bce' ? binaryCrossEntropyWithLogits(x, logits) : sumSquaredError(x, logits).mul<tf.Scalar>(0.5);
  }

  /**
   * `{ total, reconstruction, kl }`: the negative ELBO (with beta, or the warm-up's weight in
   * training) and its two terms, batch-means, one sample of z per example. The noise is a function
   * of the seed and `options.step` (the trainer's update count in training, the batch's index in
   * evaluation), so the same step draws the same eps; without a step, the count of such calls
   * stands in for it.
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const training = options.training === true;
    const seed = training ? this.noiseSeed(this.seed, options) : this.noiseSeed(this.seed, options, 1);
    const klWeight = training ? this.klWeight(options.epoch) : this.beta;
    const binarizeSeed = training && this.dynamicBinarization ? mixSeed(seed, 2) : undefined;
    return tf.tidy(() => {
      const flat = this.flat(batch.x, 'computeLoss');
      const x = binarizeSeed === undefined ? flat : bernoulliDraw(flat, uniformNoise(flat.shape, binarizeSeed));
      const q = this.encoder.apply(this.encoderInput(x, batch.labels), { training });
      const z = reparameterize(q, standardNormal(x.shape[0], this.latentDim, new Random(seed)));
      const logits = this.decodeLogits(z, { training, labels: batch.labels });
      const reconstruction = this.reconstructionLoss(x, logits);
      const kl = standardNormalKl(q);
      const total = reconstruction.add(kl.mul(klWeight)) as tf.Scalar;
      return { total, reconstruction, kl };
    });
  }

  /** The encoder's then the decoder's layers, with output shapes and parameter counts. */
  summary(): LayerSummary[] {
    return [...this.encoder.summary(), ...this.decoder.summary()];
  }
}
