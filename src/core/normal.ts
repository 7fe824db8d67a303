/**
 * The standard normal distribution's quantile function (inverse CDF), for decoding a grid of
 * codes spaced evenly in probability under the prior N(0, 1).
 */

const A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const B = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561];
const C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const D = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const F = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

/** p(x) / q(x) for coefficient lists lowest power first (Horner's rule). */
function rational(p: readonly number[], q: readonly number[], x: number): number {
  let num = 0;
  let den = 0;
  for (let i = p.length - 1; i >= 0; i--) {
    num = num * x + p[i];
    den = den * x + q[i];
  }
  return num / den;
}

/**
 * The x with P(X <= x) = p for X ~ N(0, 1): Wichura's algorithm AS 241 (Applied Statistics 37,
 * 1988), accurate to about 1e-16 relative. `p` must lie strictly between 0 and 1.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must lie strictly between 0 and 1, got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) return q * rational(A, B, 0.180625 - q * q);
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const value = r <= 5 ? rational(C, D, r - 1.6) : rational(E, F, r - 5);
  return q < 0 ? -value : value;
}

/**
 * `count` points of N(0, 1) evenly spaced in probability: the quantiles at (i + 1/2) / count, as
 * used for a grid of codes that covers the prior with equal mass per cell.
 */
export function normalQuantileGrid(count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`normalQuantileGrid: count must be a positive integer, got ${count}`);
  return Array.from({ length: count }, (_, i) => normalQuantile((i + 0.5) / count));
}
