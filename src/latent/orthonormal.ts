/**
 * Orthonormalises the `k` rows of `q` (`[k, d]` row-major, double precision) in place, as
 * Gram-Schmidt does (row i becomes the unit part of row i orthogonal to rows 0..i-1). Well
 * separated rows take two passes of Cholesky QR: the Gram matrix G = Q Q^T, its Cholesky factor L,
 * then Q := L^-1 Q, half the arithmetic of modified Gram-Schmidt, all of it in contiguous rows.
 * Where a row (nearly) depends on the rows before it, modified Gram-Schmidt, run twice, hands it to
 * `refill` to be replaced (for example with random values) and tried again; without `refill` that
 * is an error.
 */
export function orthonormalizeRows(q: Float64Array, k: number, d: number, refill?: (row: Float64Array) => void): void {
  if (q.length !== k * d) throw new Error(`orthonormalizeRows: expected ${k}x${d} = ${k * d} values, got ${q.length}`);
  // Rows scaled to unit length first: the Gram matrix then has a unit diagonal and its condition
  // number is set by the angles between the rows alone, not by their lengths.
  for (let i = 0; i < k; i++) {
    let norm = 0;
    for (let c = 0; c < d; c++) norm += q[i * d + c] * q[i * d + c];
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm)) return gramSchmidt(q, k, d, refill);
    for (let c = 0; c < d; c++) q[i * d + c] /= norm;
  }
  const first = choleskyQr(q, k, d);
  if (first === undefined) return gramSchmidt(q, k, d, refill);
  // One pass leaves rows orthogonal to about cond(G) x 1e-16; a second pass only where that is not small.
  if (first > 1e-6 && choleskyQr(q, k, d) === undefined) gramSchmidt(q, k, d, refill);
}

/**
 * One pass of Cholesky QR in place. Returns an estimate of the orthogonality error it leaves,
 * 1e-16 x (largest / smallest pivot)^2, or undefined, with `q` untouched, when the Gram matrix is not
 * safely positive definite (a pivot under 1e-8 of the largest squared norm: rows too close to
 * dependent for the squared condition number that Cholesky QR pays).
 */
function choleskyQr(q: Float64Array, k: number, d: number): number | undefined {
  const l = new Float64Array(k * k);
  let largest = 0;
  for (let i = 0; i < k; i++) {
    const ri = i * d;
    for (let j = 0; j <= i; j++) {
      const rj = j * d;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += q[ri + c] * q[rj + c];
      l[i * k + j] = dot;
    }
    largest = Math.max(largest, l[i * k + i]);
  }
  if (!(largest > 0) || !Number.isFinite(largest)) return undefined;
  let smallestPivot = Infinity;
  let largestPivot = 0;
  for (let j = 0; j < k; j++) {
    let pivot = l[j * k + j];
    for (let p = 0; p < j; p++) pivot -= l[j * k + p] * l[j * k + p];
    if (!(pivot > 1e-8 * largest)) return undefined;
    smallestPivot = Math.min(smallestPivot, pivot);
    largestPivot = Math.max(largestPivot, pivot);
    const diagonal = Math.sqrt(pivot);
    l[j * k + j] = diagonal;
    for (let i = j + 1; i < k; i++) {
      let sum = l[i * k + j];
      for (let p = 0; p < j; p++) sum -= l[i * k + p] * l[j * k + p];
      l[i * k + j] = sum / diagonal;
    }
  }
  // Forward substitution, row by row: the rows before i are already the new ones.
  for (let i = 0; i < k; i++) {
    const ri = i * d;
    for (let p = 0; p < i; p++) {
      const coefficient = l[i * k + p];
      const rp = p * d;
      for (let c = 0; c < d; c++) q[ri + c] -= coefficient * q[rp + c];
    }
    const inverse = 1 / l[i * k + i];
    for (let c = 0; c < d; c++) q[ri + c] *= inverse;
  }
  return 1e-16 * (largestPivot / smallestPivot);
}

/** Modified Gram-Schmidt, twice, with `refill` for rows that depend on the ones before them. */
function gramSchmidt(q: Float64Array, k: number, d: number, refill?: (row: Float64Array) => void): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < k; i++) {
      const row = q.subarray(i * d, (i + 1) * d);
      for (let j = 0; j < i; j++) {
        const other = q.subarray(j * d, (j + 1) * d);
        let dot = 0;
        for (let c = 0; c < d; c++) dot += row[c] * other[c];
        for (let c = 0; c < d; c++) row[c] -= dot * other[c];
      }
      let norm = 0;
      for (let c = 0; c < d; c++) norm += row[c] * row[c];
      norm = Math.sqrt(norm);
      if (!(norm > 1e-9)) {
        if (refill === undefined) throw new Error(`orthonormalizeRows: row ${i} depends on the rows before it: the rows span fewer than ${k} dimensions`);
        refill(row);
        i -= 1;
        continue;
      }
      for (let c = 0; c < d; c++) row[c] /= norm;
    }
  }
}
