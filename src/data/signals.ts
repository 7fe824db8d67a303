import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import type { Dataset } from './dataset';
import { makeDataset } from './dataset';

/** The classes of `makeSignals`, in label order. */
export const signalClassNames: readonly string[] = ['sine', 'chirp', 'bursts', 'sawtooth'];

/** Options of `makeSignals`. */
export interface SignalOptions {
  /** Number of signals; classes take turns (label `i % 4`), so they are balanced. */
  count: number;
  /** Samples per signal. Default 2048. */
  length?: number;
  /** Standard deviation of the white Gaussian noise added to every sample. Default 0.1. */
  noise?: number;
  seed: number;
}

/**
 * A synthetic signal dataset with known classes, `featureShape` `[length, 1]`, labels in
 * `signalClassNames` order. Frequencies are in cycles per sample; each signal draws its own
 * amplitude a in [0.5, 1] and phase, then gets white noise of std `noise`:
 * - `sine`: a sin(2 pi f t + phase), f in [0.004, 0.02] (periods of 50 to 250 samples);
 * - `chirp`: a sine whose frequency moves linearly from f0 to f1 over the signal, both in [0.002, 0.04];
 * - `bursts`: short tone bursts (carrier in [0.06, 0.12], Gaussian envelope of width 12 to 30
 *   samples) repeating every 200 to 500 samples;
 * - `sawtooth`: a ramp from -a to a repeating with f in [0.004, 0.012].
 * The same seed gives the same signals everywhere, and with `noise: 0` the same signals without
 * their noise (the clean targets of a denoising experiment).
 */
export function makeSignals(options: SignalOptions): Dataset {
  const count = checkPositiveInt(options.count, 'makeSignals: count');
  const length = checkPositiveInt(options.length ?? 2048, 'makeSignals: length');
  const noise = options.noise ?? 0.1;
  if (!(Number.isFinite(noise) && noise >= 0)) throw new Error(`makeSignals: noise must be a number >= 0, got ${noise}`);
  const random = new Random(options.seed);
  // Noise has its own generator, so the same seed with `noise: 0` gives the clean signals underneath.
  const noiseRandom = new Random(mixSeed(options.seed, 1));
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * random.next();
  const x = new Float32Array(count * length);
  const labels = new Int32Array(count);
  const twoPi = 2 * Math.PI;
  for (let n = 0; n < count; n++) {
    const label = n % signalClassNames.length;
    labels[n] = label;
    const a = uniform(0.5, 1);
    const phase = uniform(0, twoPi);
    const out = x.subarray(n * length, (n + 1) * length);
    if (label === 0) {
      const f = uniform(0.004, 0.02);
      for (let t = 0; t < length; t++) out[t] = a * Math.sin(twoPi * f * t + phase);
    } else if (label === 1) {
      const f0 = uniform(0.002, 0.04);
      const f1 = uniform(0.002, 0.04);
      // Phase is the integral of the instantaneous frequency f0 + (f1 - f0) t / length.
      for (let t = 0; t < length; t++) out[t] = a * Math.sin(twoPi * (f0 * t + ((f1 - f0) * t * t) / (2 * length)) + phase);
    } else if (label === 2) {
      const carrier = uniform(0.06, 0.12);
      const width = uniform(12, 30);
      const period = uniform(200, 500);
      const first = uniform(0, period);
      for (let t = 0; t < length; t++) {
        const k = Math.round((t - first) / period);
        const d = t - (first + k * period);
        out[t] = a * Math.exp(-0.5 * (d / width) ** 2) * Math.sin(twoPi * carrier * t + phase);
      }
    } else {
      const f = uniform(0.004, 0.012);
      const start = phase / twoPi;
      for (let t = 0; t < length; t++) {
        const cycle = f * t + start;
        out[t] = a * (2 * (cycle - Math.floor(cycle)) - 1);
      }
    }
    if (noise > 0) {
      for (let t = 0; t < length; t++) out[t] += noise * noiseRandom.normal();
    }
  }
  return makeDataset({ x, featureShape: [length, 1], labels, classCount: signalClassNames.length });
}
