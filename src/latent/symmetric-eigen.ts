/** Eigenvalues (largest first) and unit eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues in decreasing order. */
  values: Float64Array;
  /** Eigenvectors as rows, `[n, n]` row-major: row `i` belongs to `values[i]`. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric `n x n` matrix `a` (row-major, only read) by cyclic
 * Jacobi rotations in double precision: exact to rounding, O(n^3) per sweep, meant for small
 * matrices (a covariance of a few dozen dimensions, a Rayleigh-Ritz projection).
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} values for a ${n}x${n} matrix, got ${a.length}`);
  const m = Float64Array.from(a);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.abs(m[i * n + j] - m[j * n + i]);
      if (!(d <= 1e-6 * (Math.abs(m[i * n + j]) + Math.abs(m[j * n + i]) + 1e-30))) {
        throw new Error(`symmetricEigen: the matrix is not symmetric at (${i}, ${j}): ${m[i * n + j]} vs ${m[j * n + i]}`);
      }
      const mean = (m[i * n + j] + m[j * n + i]) / 2;
      m[i * n + j] = mean;
      m[j * n + i] = mean;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta === 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        // Columns of v accumulate the rotations: A = V diag V^T.
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((col, row) => {
    for (let k = 0; k < n; k++) vectors[row * n + k] = v[k * n + col];
  });
  return { values, vectors };
}
