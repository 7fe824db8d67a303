/**
 * Throws an Error with `message` when `condition` is false; notebooks use it to check every claim
 * their prose makes.
 */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Returns `value` when it is a positive integer; otherwise throws an error naming `what` and the value. */
export function checkPositiveInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${what} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Throws unless every value is a finite number; the error names the first bad entry by
 * `describe(index)` (default `what[index]`) and its value.
 */
export function checkFinite(values: ArrayLike<number>, what: string, describe: (index: number) => string = (i) => `${what}[${i}]`): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${describe(i)} is ${values[i]}, expected a finite number`);
  }
}

/**
 * Checks that two arrays of numbers agree elementwise within `tolerance` (absolute plus relative);
 * the error names `what`, the first index that differs, and both values.
 */
export function checkClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  if (actual.length !== expected.length) {
    throw new Error(`check failed: ${what} has ${actual.length} values, expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= tolerance * (1 + Math.abs(e)))) {
      throw new Error(`check failed: ${what}[${i}] = ${a}, expected ${e} (tolerance ${tolerance})`);
    }
  }
}
