/**
 * Orthonormalises the `k` rows of `q` (`[k, d]` row-major, double precision) in place by modified
 * Gram-Schmidt, run twice for accuracy. A row that (nearly) depends on the rows before it is
 * handed to `refill` to be replaced (for example with random values) and tried again; without
 * `refill` it is an error.
 */
export function orthonormalizeRows(q: Float64Array, k: number, d: number, refill?: (row: Float64Array) => void): void {
  if (q.length !== k * d) throw new Error(`orthonormalizeRows: expected ${k}x${d} = ${k * d} values, got ${q.length}`);
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
