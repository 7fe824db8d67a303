import * as tf from '@tensorflow/tfjs';
import { Random } from '../core/random';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { loadNativeAddon } from '../kernels/native/load';
import type { NativeAddon } from '../kernels/native/signatures';
import { nativeBackendName } from '../kernels/native/register';
import { flattenInput } from '../nn/dense';
import { orthonormalizeRows } from './orthonormal';
import { symmetricEigen } from './symmetric-eigen';

/** How `Pca.fit` finds the leading eigenvectors of the covariance. */
export type PcaMethod = 'auto' | 'exact' | 'subspace';

/** Options of `Pca.fit`. */
export interface PcaOptions {
  /** Number of principal components `k` to keep. */
  components: number;
  /**
   * `exact`: the covariance's eigenvectors directly, in double precision: LAPACK's dsyevr (only the
   * k wanted) through the native addon while the `native` backend is in use, else Householder
   * reduction and QL in JavaScript (all of them; for up to a few hundred dimensions). `subspace`:
   * block power iteration with Rayleigh-Ritz on TF.js matmuls, for wide data such as 784 pixels
   * without LAPACK. `auto` (default): exact with LAPACK or up to 128 dimensions, else subspace.
   */
  method?: PcaMethod;
  /** Seed of the subspace method's starting block. Default 0. */
  seed?: number;
  /** Subspace method: stop when no leading eigenvalue moves by more than `tolerance` times the largest. Default 1e-7. */
  tolerance?: number;
  /** Subspace method: most iterations. Default 300. */
  maxIterations?: number;
  /** Subspace method: extra directions iterated beyond `components` (speeds convergence). Default max(10, components). */
  oversampling?: number;
}

/**
 * Principal component analysis: the `k` orthonormal directions of largest variance of centred
 * data. `transform` maps `[batch, inputDim]` to codes `[batch, k]`, `inverseTransform` maps codes
 * back; `reconstruct` and `embed` make it usable wherever an autoencoder is.
 */
export class Pca {
  /** Per-feature mean `[inputDim]`. */
  readonly mean: tf.Tensor1D;
  /** Principal axes as rows, `[k, inputDim]`, orthonormal, sign fixed so each row's largest entry is positive. */
  readonly basis: tf.Tensor2D;
  /** Variance along each axis (eigenvalues of the covariance, with n - 1 in the denominator), largest first. */
  readonly explainedVariance: readonly number[];
  /** `explainedVariance` divided by the total variance (the covariance's trace). */
  readonly explainedVarianceRatio: readonly number[];
  /** Sum of the variances of all features. */
  readonly totalVariance: number;
  /** Iterations the subspace method took (0 for exact). */
  readonly iterations: number;

  private constructor(mean: tf.Tensor1D, basis: tf.Tensor2D, variance: number[], total: number, iterations: number) {
    this.mean = mean;
    this.basis = basis;
    this.explainedVariance = variance;
    this.totalVariance = total;
    this.explainedVarianceRatio = variance.map((v) => v / total);
    this.iterations = iterations;
  }

  /** Number of components `k`. */
  get components(): number {
    return this.basis.shape[0];
  }

  /** Size of an example. */
  get inputDim(): number {
    return this.basis.shape[1];
  }

  /** Fits PCA to a dataset or to `x` `[n, inputDim]` (n >= 2). */
  static async fit(data: Dataset | tf.Tensor2D, options: PcaOptions): Promise<Pca> {
    const x = data instanceof tf.Tensor ? data : tf.tensor2d(data.x, [data.count, featureSize(data)]);
    try {
      if (x.rank !== 2) throw new Error(`Pca.fit: expected x of shape [n, inputDim], got [${x.shape.join(', ')}]`);
      const [n, d] = x.shape;
      const k = options.components;
      if (!Number.isSafeInteger(k) || k < 1 || k > d) throw new Error(`components must be an integer in 1..${d} (inputDim), got ${k}`);
      if (n < 2) throw new Error(`Pca.fit needs at least 2 examples, got ${n}`);
      const method = options.method ?? 'auto';
      if (!['auto', 'exact', 'subspace'].includes(method)) throw new Error(`method must be auto|exact|subspace, got "${method}"`);
      // The mean in double on the host: float32 sums over 10,000 digits moved the explained ratio of
      // 50 components in the 6th digit (measured against numpy in float64).
      const values = data instanceof tf.Tensor ? await x.data() : data.x;
      const mu = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += values[i * d + j];
      for (let j = 0; j < d; j++) mu[j] /= n;
      const mean = tf.tensor1d(Float32Array.from(mu));
      const covariance = await covarianceOf(x, mu, mean);
      let basis: tf.Tensor2D | undefined;
      try {
        // The total variance is the covariance's trace, summed in double precision: one float32 sum
        // over all n x d squares lost 0.3% on 10,000 digits (measured against numpy in float64).
        let total = 0;
        for (let j = 0; j < d; j++) total += covariance[j * d + j];
        const lapack = tf.getBackend() === nativeBackendName ? loadNativeAddon() : undefined;
        const exact = method === 'exact' || (method === 'auto' && (d <= 128 || lapack !== undefined));
        const found = exact ? { ...exactEigen(covariance, d, k, lapack), iterations: 0 } : await subspaceEigen(covariance, d, k, options);
        const rows = new Float32Array(k * d);
        for (let i = 0; i < k; i++) {
          const row = found.vectors.subarray(i * d, (i + 1) * d);
          let largest = 0;
          for (let j = 0; j < d; j++) if (Math.abs(row[j]) > Math.abs(largest)) largest = row[j];
          const sign = largest < 0 ? -1 : 1;
          for (let j = 0; j < d; j++) rows[i * d + j] = sign * row[j];
        }
        const variance = Array.from(found.values.subarray(0, k), (v) => Math.max(v, 0));
        basis = tf.tensor2d(rows, [k, d]);
        return new Pca(mean, basis, variance, total, found.iterations);
      } finally {
        if (basis === undefined) mean.dispose();
      }
    } finally {
      if (!(data instanceof tf.Tensor)) x.dispose();
    }
  }

  /** Codes `[batch, k]`: coordinates of the centred `x` `[batch, inputDim]` along the principal axes. */
  transform(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(this.flat(x).sub(this.mean), this.basis, false, true));
  }

  /** Points `[batch, inputDim]` with codes `z` `[batch, k]`. */
  inverseTransform(z: tf.Tensor2D): tf.Tensor2D {
    if (z.rank !== 2 || z.shape[1] !== this.components) {
      throw new Error(`Pca.inverseTransform: expected z of shape [batch, ${this.components}], got [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => tf.matMul(z, this.basis).add(this.mean));
  }

  /** Projection of `x` onto the principal subspace, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.inverseTransform(this.transform(x)).reshape(x.shape));
  }

  /** Same as `transform`. */
  embed(x: tf.Tensor): tf.Tensor2D {
    return this.transform(x);
  }

  /** Frees the mean and the axes. */
  dispose(): void {
    this.mean.dispose();
    this.basis.dispose();
  }

  private flat(x: tf.Tensor): tf.Tensor2D {
    return flattenInput(x, this.inputDim, 'Pca');
  }
}

/**
 * The covariance of the rows of `x` `[n, d]` (mean `mu` in double, `mean` the same in float32) with
 * `n - 1` in the denominator, `[d, d]` in double:
 * X^T X on the backend (the one pass over the data), less n mean mean^T on the host. Where a
 * feature's mean dwarfs its spread, the float32 X^T X would lose the spread in that subtraction,
 * and the centred data are multiplied instead. On 10,000 digits both agree with numpy's float64
 * covariance to 1e-7 in the explained ratio of 50 components; skipping the centred copy saved
 * about a third of the time (measured on native).
 */
async function covarianceOf(x: tf.Tensor2D, mu: Float64Array, mean: tf.Tensor1D): Promise<Float64Array> {
  const [n, d] = x.shape;
  // wasm's matMul with transposeA is about 7x slower than an explicit transpose (measured);
  // the native addon and TensorFlow hand the flag to their GEMM, which needs no copy.
  const gramOf = (a: tf.Tensor2D) => (tf.getBackend() === 'wasm' ? tf.matMul(a.transpose(), a) : tf.matMul(a, a, true, false));
  const gramTensor = tf.tidy(() => gramOf(x));
  const gram = await gramTensor.data();
  gramTensor.dispose();
  let safe = true;
  for (let j = 0; j < d && safe; j++) {
    const square = n * mu[j] * mu[j];
    // Within 100x: the subtraction keeps all but about 2 of float32's 7 digits of the spread.
    if (square > 100 * Math.max(gram[j * d + j] - square, 0) && square > 0) safe = false;
  }
  const covariance = new Float64Array(d * d);
  if (safe) {
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) covariance[a * d + b] = (gram[a * d + b] - n * mu[a] * mu[b]) / (n - 1);
    return covariance;
  }
  const centredTensor = tf.tidy(() => gramOf(x.sub(mean)));
  const centred = await centredTensor.data();
  centredTensor.dispose();
  for (let i = 0; i < d * d; i++) covariance[i] = centred[i] / (n - 1);
  return covariance;
}

/**
 * The `k` leading eigenpairs of the symmetric `covariance` (`d x d`, row-major, double): LAPACK's
 * through `lapack` where it has it, else all of them in JavaScript.
 */
function exactEigen(covariance: Float64Array, d: number, k: number, lapack: NativeAddon | undefined): { values: Float64Array; vectors: Float64Array } {
  if (lapack !== undefined) {
    const values = new Float64Array(k);
    const vectors = new Float64Array(k * d);
    if (lapack.symmetricEigen(covariance, d, k, values, vectors)) return { values, vectors };
  }
  return symmetricEigen(covariance, d);
}

/**
 * Leading eigenpairs of the symmetric `covariance` `[d, d]` by block power iteration: the product
 * with the block runs on TF.js; the block (m x d, small) is orthonormalised and its Rayleigh-Ritz
 * projection diagonalised on the host in double precision.
 */
async function subspaceEigen(covarianceValues: Float64Array, d: number, k: number, options: PcaOptions): Promise<{ values: Float64Array; vectors: Float64Array; iterations: number }> {
  const covariance = tf.tensor2d(Float32Array.from(covarianceValues), [d, d]);
  try {
    return await blockIteration(covariance, d, k, options);
  } finally {
    covariance.dispose();
  }
}

async function blockIteration(covariance: tf.Tensor2D, d: number, k: number, options: PcaOptions): Promise<{ values: Float64Array; vectors: Float64Array; iterations: number }> {
  const m = Math.min(d, k + (options.oversampling ?? Math.max(10, k)));
  const tolerance = options.tolerance ?? 1e-7;
  const maxIterations = options.maxIterations ?? 300;
  const random = new Random(options.seed ?? 0);
  // A direction the data cannot reach (rank-deficient covariance) is replaced by a random one.
  const refill = (row: Float64Array) => {
    for (let c = 0; c < row.length; c++) row[c] = random.normal();
  };
  // The block holds its m directions as rows: Q is [m, d].
  let q = new Float64Array(m * d);
  refill(q);
  orthonormalizeRows(q, m, d, refill);
  let previous: Float64Array | undefined;
  for (let iteration = 1; ; iteration++) {
    const block = tf.tensor2d(Float32Array.from(q), [m, d]);
    // Q C = (C Q^T)^T, as C is symmetric.
    const product = tf.matMul(block, covariance);
    const w = Float64Array.from(await product.data());
    block.dispose();
    product.dispose();
    // Rayleigh-Ritz: T = Q C Q^T, diagonalised on the host.
    const t = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = a; b < m; b++) {
        let s = 0;
        for (let r = 0; r < d; r++) s += q[a * d + r] * w[b * d + r];
        t[a * m + b] = s;
        t[b * m + a] = s;
      }
    }
    const ritz = symmetricEigen(t, m);
    const values = ritz.values;
    const moved = previous === undefined ? Infinity : Math.max(...Array.from({ length: k }, (_, i) => Math.abs(values[i] - (previous as Float64Array)[i])));
    if (moved <= tolerance * Math.abs(values[0]) || iteration >= maxIterations) {
      const vectors = new Float64Array(k * d);
      for (let i = 0; i < k; i++) {
        for (let a = 0; a < m; a++) {
          const coefficient = ritz.vectors[i * m + a];
          for (let r = 0; r < d; r++) vectors[i * d + r] += coefficient * q[a * d + r];
        }
      }
      return { values, vectors, iterations: iteration };
    }
    previous = values;
    q = w;
    orthonormalizeRows(q, m, d, refill);
  }
}
