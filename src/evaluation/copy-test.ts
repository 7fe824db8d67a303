import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';

/** Images of one bright pixel each (what `singleDotImages` returns). */
export interface DotImages {
  /** `[count, height * width]`, one pixel 1 and the rest 0 in each row. */
  readonly images: tf.Tensor2D;
  /** The lit pixel of each image, as `row * width + col`. */
  readonly pixels: readonly number[];
  readonly height: number;
  readonly width: number;
}

/**
 * Single-dot images, which are not digits: one bright pixel at each position of a grid from
 * `from` to `to` (inclusive, both axes) in steps of `step`. The caller disposes `images`.
 */
export function singleDotImages(options: { height: number; width: number; from: number; to: number; step: number }): DotImages {
  const height = checkPositiveInt(options.height, 'height');
  const width = checkPositiveInt(options.width, 'width');
  const step = checkPositiveInt(options.step, 'step');
  const { from, to } = options;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to >= Math.min(height, width)) {
    throw new Error(`singleDotImages: need integers 0 <= from <= to < ${Math.min(height, width)}, got from ${from}, to ${to}`);
  }
  const pixels: number[] = [];
  for (let row = from; row <= to; row += step) for (let col = from; col <= to; col += step) pixels.push(row * width + col);
  const images = tf.tidy(() => tf.oneHot(tf.tensor1d(pixels, 'int32'), height * width).toFloat()) as tf.Tensor2D;
  return { images, pixels, height, width };
}

/**
 * The dot-copy test: the share of `dots` whose reconstruction is brightest at the lit pixel. A model
 * that copies its input scores 1; one that learned what digits look like draws a digit-like blur
 * and scores near 0. `inputShape` is one example's shape for `model.reconstruct` (default
 * `[height * width]`; `[height, width, 1]` for a convolutional model).
 */
export async function dotCopyShare(
  model: { reconstruct(x: tf.Tensor): tf.Tensor },
  dots: DotImages,
  inputShape: readonly number[] = [dots.height * dots.width],
): Promise<number> {
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (size !== dots.height * dots.width) {
    throw new Error(`dotCopyShare: inputShape [${inputShape.join(', ')}] holds ${size} values, the dot images ${dots.height * dots.width}`);
  }
  const brightest = tf.tidy(() => {
    const count = dots.pixels.length;
    return model.reconstruct(dots.images.reshape([count, ...inputShape])).reshape([count, size]).argMax(1);
  });
  const at = await brightest.data();
  brightest.dispose();
  return dots.pixels.filter((p, i) => at[i] === p).length / dots.pixels.length;
}
