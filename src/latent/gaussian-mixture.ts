import { checkFinite, checkPositiveInt } from '../core/assert';
import { mixSeed } from '../core/random';
import { checkEmbedding } from './embed';
import type { Embedding } from './embed';
import { kMeans } from './kmeans';

/** The shape of each component's covariance: a full symmetric matrix, or a diagonal one. */
export type CovarianceType = 'full' | 'diag';

/** Options of `gaussianMixture` (scikit-learn's `GaussianMixture` defaults). */
export interface GaussianMixtureOptions {
  /** `'full'` (default) or `'diag'` (scikit-learn's `covariance_type`). */
  covariance?: CovarianceType;
  /** Independent runs from different k-means starts; the one of highest lower bound is kept. Default 1 (scikit-learn's `n_init`). */
  restarts?: number;
  /** EM iterations per run at most. Default 100 (`max_iter`). */
  maxIterations?: number;
  /** A run stops when the mean log-likelihood per point changes by less than this in one iteration. Default 1e-3 (`tol`). */
  tolerance?: number;
  /** Added to the diagonal of every covariance, to keep it positive definite. Default 1e-6 (`reg_covar`). */
  regularization?: number;
  /**
   * `[components, dim]` row-major: start from these means instead of k-means (scikit-learn's
   * `means_init`). The starting weights and covariances are those of the points nearest each mean
   * (one hard assignment, as k-means' labels give them otherwise). The start is then deterministic,
   * so `restarts` must be 1.
   */
  initialMeans?: ArrayLike<number>;
  seed: number;
}

/** The parameters of a mixture of Gaussians, row-major. */
export interface GaussianMixtureParameters {
  covariance: CovarianceType;
  /** `[components]`, summing to 1. */
  weights: ArrayLike<number>;
  /** `[components, dim]`. */
  means: ArrayLike<number>;
  /** `[components, dim, dim]` for `'full'`, `[components, dim]` (the variances) for `'diag'`. */
  covariances: ArrayLike<number>;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log(sum(exp(values[from..from+n)))) without overflow. */
function logSumExp(values: Float64Array, from: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, values[from + j]);
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(values[from + j] - max);
  return max + Math.log(s);
}

/**
 * A mixture of Gaussians with fixed parameters: log densities, responsibilities and labels of
 * points. Full covariances are held as their Cholesky factors (computed once, in double precision).
 */
export class GaussianMixtureModel {
  readonly covariance: CovarianceType;
  readonly components: number;
  readonly dim: number;
  /** `[components]`. */
  readonly weights: Float64Array;
  /** `[components, dim]` row-major. */
  readonly means: Float64Array;
  /** `[components, dim, dim]` (`'full'`) or `[components, dim]` (`'diag'`) row-major. */
  readonly covariances: Float64Array;
  /** Lower Cholesky factors `[components, dim, dim]` of full covariances, or the standard deviations `[components, dim]` of diagonal ones. */
  private readonly factors: Float64Array;
  /** log weight - (dim / 2) log 2 pi - (1 / 2) log det covariance, per component. */
  private readonly offsets: Float64Array;

  /** Checks the parameters; throws if a covariance is not positive definite. */
  constructor(parameters: GaussianMixtureParameters) {
    const { covariance } = parameters;
    if (covariance !== 'full' && covariance !== 'diag') throw new Error(`GaussianMixtureModel: covariance must be "full" or "diag", got "${String(covariance)}"`);
    const k = parameters.weights.length;
    if (k === 0) throw new Error('GaussianMixtureModel: no components (weights is empty)');
    const dim = parameters.means.length / k;
    if (!Number.isSafeInteger(dim) || dim <= 0) throw new Error(`GaussianMixtureModel: ${parameters.means.length} mean values for ${k} components`);
    const expected = covariance === 'full' ? k * dim * dim : k * dim;
    if (parameters.covariances.length !== expected) throw new Error(`GaussianMixtureModel: ${parameters.covariances.length} covariance values, expected ${expected} for ${k} ${covariance} components in ${dim} dimensions`);
    let total = 0;
    for (let c = 0; c < k; c++) {
      const w = parameters.weights[c];
      if (!(w >= 0)) throw new Error(`GaussianMixtureModel: weight ${c} is ${w}, expected >= 0`);
      total += w;
    }
    if (!(Math.abs(total - 1) < 1e-6)) throw new Error(`GaussianMixtureModel: the weights sum to ${total}, expected 1`);
    this.covariance = covariance;
    this.components = k;
    this.dim = dim;
    this.weights = Float64Array.from(parameters.weights);
    this.means = Float64Array.from(parameters.means);
    this.covariances = Float64Array.from(parameters.covariances);
    this.factors = new Float64Array(this.covariances.length);
    this.offsets = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const logDet = covariance === 'full' ? this.cholesky(c) : this.standardDeviations(c);
      this.offsets[c] = Math.log(this.weights[c]) - 0.5 * dim * LOG_2PI - 0.5 * logDet;
    }
  }

  /** Factors full covariance `c` as L L^T into `factors`; returns log det. */
  private cholesky(c: number): number {
    const d = this.dim;
    const a = this.covariances.subarray(c * d * d, (c + 1) * d * d);
    const l = this.factors.subarray(c * d * d, (c + 1) * d * d);
    let logDet = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * d + j];
        for (let m = 0; m < j; m++) s -= l[i * d + m] * l[j * d + m];
        if (i === j) {
          if (!(s > 0)) throw new Error(`GaussianMixtureModel: the covariance of component ${c} is not positive definite (pivot ${i} is ${s}); the component may have collapsed onto too few points: raise regularization, or use fewer components`);
          l[i * d + i] = Math.sqrt(s);
          logDet += Math.log(s);
        } else {
          l[i * d + j] = s / l[j * d + j];
        }
      }
    }
    return logDet;
  }

  /** Square roots of diagonal covariance `c` into `factors`; returns log det. */
  private standardDeviations(c: number): number {
    const d = this.dim;
    let logDet = 0;
    for (let i = 0; i < d; i++) {
      const v = this.covariances[c * d + i];
      if (!(v > 0)) throw new Error(`GaussianMixtureModel: variance ${i} of component ${c} is ${v}, expected > 0: raise regularization, or use fewer components`);
      this.factors[c * d + i] = Math.sqrt(v);
      logDet += Math.log(v);
    }
    return logDet;
  }

  /** `[n, components]`: log(weight_c N(x_i; mean_c, covariance_c)) for rows of `x` (`dim` values each). */
  weightedLogDensities(x: ArrayLike<number>, n: number): Float64Array {
    const { dim: d, components: k, means, factors } = this;
    const out = new Float64Array(n * k);
    const y = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let q = 0;
        if (this.covariance === 'full') {
          // Solve L y = x - mean by forward substitution: the Mahalanobis distance is |y|^2.
          const base = c * d * d;
          for (let r = 0; r < d; r++) {
            let s = x[i * d + r] - means[c * d + r];
            for (let m = 0; m < r; m++) s -= factors[base + r * d + m] * y[m];
            y[r] = s / factors[base + r * d + r];
            q += y[r] * y[r];
          }
        } else {
          for (let r = 0; r < d; r++) {
            const t = (x[i * d + r] - means[c * d + r]) / factors[c * d + r];
            q += t * t;
          }
        }
        out[i * k + c] = this.offsets[c] - 0.5 * q;
      }
    }
    return out;
  }

  private checkPoints(points: Embedding, what: string): void {
    checkEmbedding(points, what, { allowEmpty: true });
    if (points.latentDim !== this.dim) throw new Error(`${what}: points have ${points.latentDim} dimensions, the mixture ${this.dim}`);
  }

  /** `[n]`: the log density of each point under the mixture (scikit-learn's `score_samples`). */
  logDensity(points: Embedding): Float64Array {
    this.checkPoints(points, 'GaussianMixtureModel.logDensity');
    const weighted = this.weightedLogDensities(points.z, points.count);
    const out = new Float64Array(points.count);
    for (let i = 0; i < points.count; i++) out[i] = logSumExp(weighted, i * this.components, this.components);
    return out;
  }

  /** The mean log density per point (scikit-learn's `score`). */
  score(points: Embedding): number {
    if (points.count === 0) throw new Error('GaussianMixtureModel.score: no points');
    const densities = this.logDensity(points);
    let s = 0;
    for (const v of densities) s += v;
    return s / points.count;
  }

  /** `[n, components]` row-major: the posterior probability of each component for each point (`predict_proba`). */
  responsibilities(points: Embedding): Float64Array {
    this.checkPoints(points, 'GaussianMixtureModel.responsibilities');
    const k = this.components;
    const out = this.weightedLogDensities(points.z, points.count);
    for (let i = 0; i < points.count; i++) {
      const norm = logSumExp(out, i * k, k);
      for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(out[i * k + c] - norm);
    }
    return out;
  }

  /** The most probable component of each point (`predict`). */
  predict(points: Embedding): Int32Array {
    this.checkPoints(points, 'GaussianMixtureModel.predict');
    return argmaxRows(this.weightedLogDensities(points.z, points.count), points.count, this.components);
  }

  /** Free parameters: covariances, means, and weights less one. */
  get parameterCount(): number {
    const { components: k, dim: d } = this;
    return (this.covariance === 'full' ? (k * d * (d + 1)) / 2 : k * d) + k * d + k - 1;
  }

  /** Bayesian information criterion on `points`, lower is better (scikit-learn's `bic`): -2 log L + parameters x log n. */
  bic(points: Embedding): number {
    return -2 * this.score(points) * points.count + this.parameterCount * Math.log(points.count);
  }
}

function argmaxRows(values: Float64Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (values[i * k + c] > values[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** A mixture fitted by `gaussianMixture`, with how the fit went. */
export class FittedGaussianMixture extends GaussianMixtureModel {
  /** The mean log-likelihood per point of the fitted parameters on the training points (scikit-learn's `score(X)`). */
  readonly logLikelihood: number;
  /** The mean log-likelihood at the start of the last iteration, which decided convergence (scikit-learn's `lower_bound_`). */
  readonly lowerBound: number;
  /** The mean log-likelihood at the start of each EM iteration of the kept run (non-decreasing, as EM guarantees). */
  readonly history: Float64Array;
  /** Whether the kept run stopped by `tolerance` rather than `maxIterations`. */
  readonly converged: boolean;
  /** EM iterations of the kept run. */
  readonly iterations: number;
  /** The most probable component of each training point. */
  readonly labels: Int32Array;

  constructor(parameters: GaussianMixtureParameters, fit: { logLikelihood: number; lowerBound: number; history: Float64Array; converged: boolean; iterations: number; labels: Int32Array }) {
    super(parameters);
    this.logLikelihood = fit.logLikelihood;
    this.lowerBound = fit.lowerBound;
    this.history = fit.history;
    this.converged = fit.converged;
    this.iterations = fit.iterations;
    this.labels = fit.labels;
  }
}

/**
 * The M-step: weights, means and covariances (+ `regularization` on the diagonal) from
 * responsibilities `[n, k]`, as scikit-learn's `_estimate_gaussian_parameters` (each component's
 * mass is floored at 10 machine epsilons). Weights are normalised to sum to 1.
 */
function estimateParameters(x: Float64Array, n: number, d: number, resp: Float64Array, k: number, covariance: CovarianceType, regularization: number): GaussianMixtureParameters {
  const mass = new Float64Array(k).fill(10 * Number.EPSILON);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      mass[c] += r;
      for (let a = 0; a < d; a++) means[c * d + a] += r * x[i * d + a];
    }
  }
  for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) means[c * d + a] /= mass[c];
  const covariances = new Float64Array(covariance === 'full' ? k * d * d : k * d);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      for (let a = 0; a < d; a++) diff[a] = x[i * d + a] - means[c * d + a];
      if (covariance === 'full') {
        const base = c * d * d;
        for (let a = 0; a < d; a++) {
          const ra = r * diff[a];
          for (let b = 0; b <= a; b++) covariances[base + a * d + b] += ra * diff[b];
        }
      } else {
        for (let a = 0; a < d; a++) covariances[c * d + a] += r * diff[a] * diff[a];
      }
    }
  }
  let total = 0;
  for (let c = 0; c < k; c++) total += mass[c];
  const weights = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    weights[c] = mass[c] / total;
    if (covariance === 'full') {
      const base = c * d * d;
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) {
          const v = covariances[base + a * d + b] / mass[c];
          covariances[base + a * d + b] = v;
          covariances[base + b * d + a] = v;
        }
        covariances[base + a * d + a] += regularization;
      }
    } else {
      for (let a = 0; a < d; a++) covariances[c * d + a] = covariances[c * d + a] / mass[c] + regularization;
    }
  }
  return { covariance, weights, means, covariances };
}

/** One-hot responsibilities `[n, k]` from hard labels. */
function oneHot(labels: ArrayLike<number>, k: number): Float64Array {
  const resp = new Float64Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) resp[i * k + labels[i]] = 1;
  return resp;
}

/** The E-step in place: `[n, k]` weighted log densities become responsibilities; returns the mean log-likelihood per point. */
function expectation(model: GaussianMixtureModel, x: Float64Array, n: number): { resp: Float64Array; meanLogLikelihood: number } {
  const k = model.components;
  const resp = model.weightedLogDensities(x, n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const norm = logSumExp(resp, i * k, k);
    sum += norm;
    for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(resp[i * k + c] - norm);
  }
  return { resp, meanLogLikelihood: sum / n };
}

/**
 * Fits a mixture of `components` Gaussians to `data` by expectation-maximisation, as
 * scikit-learn's `GaussianMixture` does: each run starts from the labels of one k-means run (or
 * from `initialMeans`), alternates E- and M-steps until the mean log-likelihood per point changes by
 * less than `tolerance`, and the run of highest final lower bound is kept. Double precision
 * throughout, log-sum-exp responsibilities, Cholesky factors for full covariances. Deterministic for
 * a seed.
 */
export function gaussianMixture(data: Embedding, components: number, options: GaussianMixtureOptions): FittedGaussianMixture {
  checkEmbedding(data, 'gaussianMixture: data');
  checkPositiveInt(components, 'components');
  const { count: n, latentDim: d } = data;
  if (components > n) throw new Error(`gaussianMixture: components = ${components} is more than the ${n} points`);
  const covariance = options.covariance ?? 'full';
  if (covariance !== 'full' && covariance !== 'diag') throw new Error(`gaussianMixture: covariance must be "full" or "diag", got "${String(covariance)}"`);
  const restarts = checkPositiveInt(options.restarts ?? 1, 'restarts');
  const maxIterations = checkPositiveInt(options.maxIterations ?? 100, 'maxIterations');
  const tolerance = options.tolerance ?? 1e-3;
  if (!(tolerance >= 0)) throw new Error(`tolerance must be >= 0, got ${tolerance}`);
  const regularization = options.regularization ?? 1e-6;
  if (!(regularization >= 0)) throw new Error(`regularization must be >= 0, got ${regularization}`);
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  const initialMeans = options.initialMeans;
  if (initialMeans !== undefined) {
    if (initialMeans.length !== components * d) throw new Error(`gaussianMixture: initialMeans has ${initialMeans.length} values, expected ${components} x ${d}`);
    checkFinite(initialMeans, 'gaussianMixture: initialMeans');
    if (restarts !== 1) throw new Error(`gaussianMixture: initialMeans gives one deterministic start, so restarts must be 1, got ${restarts}`);
  }
  const x = Float64Array.from(data.z);
  let best: { parameters: GaussianMixtureParameters; lowerBound: number; history: Float64Array; converged: boolean; iterations: number } | undefined;
  for (let run = 0; run < restarts; run++) {
    let parameters: GaussianMixtureParameters;
    if (initialMeans === undefined) {
      const labels = kMeans(data, components, { restarts: 1, seed: mixSeed(options.seed, run) }).assignments;
      parameters = estimateParameters(x, n, d, oneHot(labels, components), components, covariance, regularization);
    } else {
      const labels = nearestMeans(x, n, d, initialMeans, components);
      parameters = estimateParameters(x, n, d, oneHot(labels, components), components, covariance, regularization);
      parameters = { ...parameters, means: Float64Array.from(initialMeans) };
    }
    let lowerBound = -Infinity;
    let converged = false;
    let iterations = 0;
    const history: number[] = [];
    while (iterations < maxIterations) {
      const previous = lowerBound;
      const { resp, meanLogLikelihood } = expectation(new GaussianMixtureModel(parameters), x, n);
      parameters = estimateParameters(x, n, d, resp, components, covariance, regularization);
      lowerBound = meanLogLikelihood;
      history.push(lowerBound);
      iterations++;
      if (Math.abs(lowerBound - previous) < tolerance) {
        converged = true;
        break;
      }
    }
    if (best === undefined || lowerBound > best.lowerBound) best = { parameters, lowerBound, history: Float64Array.from(history), converged, iterations };
  }
  const model = new GaussianMixtureModel(best!.parameters);
  const weighted = model.weightedLogDensities(x, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += logSumExp(weighted, i * components, components);
  return new FittedGaussianMixture(best!.parameters, {
    logLikelihood: sum / n,
    lowerBound: best!.lowerBound,
    history: best!.history,
    converged: best!.converged,
    iterations: best!.iterations,
    labels: argmaxRows(weighted, n, components),
  });
}

/** The nearest of `k` means (row-major, `d` values each) for each row of `x`; ties to the first. */
function nearestMeans(x: Float64Array, n: number, d: number, means: ArrayLike<number>, k: number): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += (x[i * d + a] - means[c * d + a]) ** 2;
      if (s < bestD) {
        bestD = s;
        labels[i] = c;
      }
    }
  }
  return labels;
}
