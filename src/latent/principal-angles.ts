import { orthonormalizeRows } from './orthonormal';
import { symmetricEigen } from './symmetric-eigen';

/** An orthonormal basis (as rows) of the span of the `k` rows of `rows` `[k, d]`; dependent rows are an error. */
export function orthonormalRows(rows: ArrayLike<number>, k: number, d: number): Float64Array {
  if (rows.length !== k * d) throw new Error(`orthonormalRows: expected ${k}x${d} = ${k * d} values, got ${rows.length}`);
  const q = Float64Array.from(rows);
  orthonormalizeRows(q, k, d);
  return q;
}

/**
 * Principal angles (radians, smallest first) between the subspaces spanned by the rows of `a`
 * `[k, d]` and of `b` `[k, d]`: the arccosines of the singular values of Qa Qb^T. Zero angles mean
 * the same subspace; the mean angle and the sum of squared sines summarise how far apart they are.
 */
export function principalAngles(a: ArrayLike<number>, b: ArrayLike<number>, k: number, d: number): number[] {
  const qa = orthonormalRows(a, k, d);
  const qb = orthonormalRows(b, k, d);
  const m = rowProducts(qa, qb, k, d);
  // Singular values of M are the square roots of the eigenvalues of M M^T.
  const mmt = rowProducts(m, m, k, k);
  return Array.from(symmetricEigen(mmt, k).values, (v) => Math.acos(Math.min(1, Math.sqrt(Math.max(0, v)))));
}

/** `a b^T` for row-major `a` `[k, d]` and `b` `[k, d]`: the `[k, k]` matrix of row dot products. */
function rowProducts(a: Float64Array, b: Float64Array, k: number, d: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += a[i * d + c] * b[j * d + c];
      out[i * k + j] = dot;
    }
  }
  return out;
}
