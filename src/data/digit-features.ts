import type { Dataset } from './dataset';
import type { Embedding } from '../latent/embed';

/** Names of the two hand-made features of `handcraftedDigitFeatures`, in column order. */
export const handcraftedFeatureNames = ['ink (mean brightness)', 'width / height of the ink'] as const;

/**
 * Two features a person might engineer for a digit image `[count, 28, 28]` or `[count, 784]`:
 * how much ink it has, and the aspect ratio of the ink's bounding box (pixels above 0.5).
 * Returned as a 2-D embedding, to set against features a network learns.
 */
export function handcraftedDigitFeatures(dataset: Dataset, side = 28): Embedding {
  const per = side * side;
  if (dataset.x.length !== dataset.count * per) throw new Error(`handcraftedDigitFeatures: expected ${side}x${side} images, got ${dataset.x.length / dataset.count} values each`);
  const z = new Float32Array(dataset.count * 2);
  for (let i = 0; i < dataset.count; i++) {
    let ink = 0;
    let top = side;
    let bottom = -1;
    let left = side;
    let right = -1;
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const v = dataset.x[i * per + r * side + c];
        ink += v;
        if (v > 0.5) {
          top = Math.min(top, r);
          bottom = Math.max(bottom, r);
          left = Math.min(left, c);
          right = Math.max(right, c);
        }
      }
    }
    z[2 * i] = ink / per;
    z[2 * i + 1] = bottom < 0 ? 0 : (right - left + 1) / (bottom - top + 1);
  }
  return { z, count: dataset.count, latentDim: 2 };
}
