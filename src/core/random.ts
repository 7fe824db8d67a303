/**
 * Seeded randomness: the only source of random numbers in replearn, so that the same seed gives
 * the same numbers on every run and every backend.
 */

function checkSeed(seed: number, what: string): number {
  if (!Number.isSafeInteger(seed)) throw new Error(`${what} must be an integer, got ${seed}`);
  return seed >>> 0;
}

/** Mixes `values` into one 32-bit seed (MurmurHash3's finaliser on each step), e.g. `(seed, epoch)`. */
export function mixSeed(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ checkSeed(v, 'mixSeed value'), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A seeded generator (mulberry32: 32 bits of state, period 2^32), small and the same everywhere. */
export class Random {
  private state: number;

  /** `seed` must be an integer; it is reduced to 32 bits. */
  constructor(seed: number) {
    this.state = checkSeed(seed, 'seed');
  }

  /** The generator's state, to save in a checkpoint and give back to `Random.fromState`. */
  get internalState(): number {
    return this.state;
  }

  /** A generator that continues from a saved `internalState`. */
  static fromState(state: number): Random {
    return new Random(state);
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`Random.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** A standard normal number (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A fresh 32-bit integer, to seed another generator or a TF.js initializer. */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Shuffles `values` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
    return values;
  }

  /** The numbers 0..n-1 in a random order. */
  permutation(n: number): Int32Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Random.permutation: n must be a non-negative integer, got ${n}`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }
}
