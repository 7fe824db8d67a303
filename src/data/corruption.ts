import * as tf from '@tensorflow/tfjs';

/**
 * How a denoising autoencoder corrupts its input:
 * - `gaussian`: add N(0, std^2) noise to every value, then clip to [0, 1] (unless `clip: false`);
 * - `salt-and-pepper`: set a `fraction` of the values to 0 or 1, half each;
 * - `masking`: set a `fraction` of the values to 0 (Vincent et al. 2008's masking noise, dropout
 *   on the input without rescaling).
 */
export type Corruption =
  | { kind: 'gaussian'; std: number; clip?: boolean }
  | { kind: 'salt-and-pepper'; fraction: number }
  | { kind: 'masking'; fraction: number };

/** Every corruption kind, for validating configs. */
export const corruptionKinds: readonly Corruption['kind'][] = ['gaussian', 'salt-and-pepper', 'masking'];

/** Throws unless `corruption` is a valid spec, naming `field`. */
export function checkCorruption(corruption: Corruption, field = 'corruption'): Corruption {
  const kind = (corruption as { kind?: unknown }).kind;
  if (!(corruptionKinds as readonly unknown[]).includes(kind)) {
    throw new Error(`${field}.kind must be one of ${corruptionKinds.join('|')}, got "${String(kind)}"`);
  }
  if (corruption.kind === 'gaussian') {
    if (!Number.isFinite(corruption.std) || corruption.std < 0) throw new Error(`${field}.std must be a number >= 0, got ${corruption.std}`);
  } else if (!(corruption.fraction >= 0 && corruption.fraction <= 1)) {
    throw new Error(`${field}.fraction must be in [0, 1], got ${corruption.fraction}`);
  }
  return corruption;
}

/**
 * The noise `corrupt` draws for `corruption` on values shaped `shape`: standard normal numbers for
 * `gaussian`, uniform numbers in [0, 1) otherwise. The same seed gives the same noise on every backend.
 */
export function corruptionNoise(corruption: Corruption, shape: number[], seed: number): tf.Tensor {
  return corruption.kind === 'gaussian' ? tf.randomNormal(shape, 0, 1, 'float32', seed) : tf.randomUniform(shape, 0, 1, 'float32', seed);
}

/**
 * Corrupts `x` with given `noise` (shaped like `x`; see `corruptionNoise`): for `gaussian`,
 * x + std * noise (clipped to [0, 1] by default); for `salt-and-pepper`, 0 where noise < fraction/2,
 * 1 where fraction/2 <= noise < fraction, x elsewhere; for `masking`, 0 where noise < fraction, x
 * elsewhere. Pure: the same `x` and `noise` give the same result.
 */
export function applyCorruption<T extends tf.Tensor>(x: T, corruption: Corruption, noise: tf.Tensor): T {
  checkCorruption(corruption);
  if (noise.shape.join(',') !== x.shape.join(',')) {
    throw new Error(`applyCorruption: noise [${noise.shape.join(', ')}] must have the shape of x [${x.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    switch (corruption.kind) {
      case 'gaussian': {
        const noisy = x.add(noise.mul(corruption.std));
        return (corruption.clip ?? true ? noisy.clipByValue(0, 1) : noisy) as T;
      }
      case 'salt-and-pepper': {
        const half = corruption.fraction / 2;
        const pepper = noise.less(half);
        const salt = noise.greaterEqual(half).logicalAnd(noise.less(corruption.fraction));
        return tf.where(pepper, tf.zerosLike(x), tf.where(salt, tf.onesLike(x), x)) as T;
      }
      case 'masking':
        return tf.where(noise.less(corruption.fraction), tf.zerosLike(x), x) as T;
    }
  });
}

/** Corrupts `x` with noise drawn from `seed` (see `applyCorruption`); `x` itself is unchanged. */
export function corrupt<T extends tf.Tensor>(x: T, corruption: Corruption, seed: number): T {
  return tf.tidy(() => applyCorruption(x, corruption, corruptionNoise(checkCorruption(corruption), x.shape, seed)));
}
