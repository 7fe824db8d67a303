import * as tf from '@tensorflow/tfjs';

/**
 * 1-D max-pooling that returns its argmax indices (PyTorch's `MaxPool1d(return_indices=True)`) and
 * the max-unpooling that puts values back at those indices (`MaxUnpool1d`), for signals
 * `[batch, length, channels]`. Built from slices and one-hot masks, so autodiff gives their
 * gradients; test/nn/pool1d.test.ts checks them against numerical differences.
 */

/** What `maxPool1d` returns. */
export interface MaxPool1dResult {
  /** The window maxima `[batch, floor(length / size), channels]`. */
  readonly y: tf.Tensor3D;
  /** int32 `[batch, floor(length / size), channels]`: where along the input's length each maximum was (PyTorch's `return_indices`). */
  readonly indices: tf.Tensor3D;
}

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new Error(`${what}: size must be a positive integer, got ${size}`);
}

/**
 * Max-pooling of `x` `[batch, length, channels]` over windows of `size` with stride `size`, that
 * also returns where each maximum was (the first one on ties). A trailing part shorter than a
 * window is dropped, as in PyTorch. The gradient goes to the argmax of each window only.
 */
export function maxPool1d(x: tf.Tensor3D, size: number): MaxPool1dResult {
  checkSize(size, 'maxPool1d');
  if (x.rank !== 3) throw new Error(`maxPool1d: expected x of shape [batch, length, channels], got [${x.shape.join(', ')}]`);
  const [batch, length, channels] = x.shape;
  const windows = Math.floor(length / size);
  if (windows === 0) throw new Error(`maxPool1d: length ${length} is shorter than one window of ${size}`);
  return tf.tidy(() => {
    const grouped = tf.slice(x, [0, 0, 0], [batch, windows * size, channels]).reshape([batch, windows, size, channels]);
    const indices = tf.argMax(grouped, 2).add(tf.range(0, windows * size, size, 'int32').reshape([1, windows, 1])) as tf.Tensor3D;
    // Multiplying by the argmax mask (instead of tf.max) sends the gradient to one position per window.
    const y = tf.sum(grouped.mul(windowMask(indices, size)), 2) as tf.Tensor3D;
    return { y, indices };
  });
}

/** The one-hot window mask `[batch, windows, size, channels]` of pooling `indices` `[batch, windows, channels]`. */
function windowMask(indices: tf.Tensor3D, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const windows = indices.shape[1];
    const offsets = indices.sub(tf.range(0, windows * size, size, 'int32').reshape([1, windows, 1]));
    return tf.oneHot(offsets as tf.Tensor3D, size).transpose([0, 1, 3, 2]) as tf.Tensor4D;
  });
}

/**
 * Max-unpooling (PyTorch's `MaxUnpool1d`): puts each value of `y` `[batch, windows, channels]`
 * back at the position along the length that `indices` (from `maxPool1d` with the same `size`)
 * names, zeros elsewhere, giving `[batch, outputLength, channels]` (default `windows * size`; a
 * longer `outputLength` restores a tail the pooling dropped, as zeros). An index outside its own
 * window contributes nothing. The gradient with respect to `y` gathers the output gradient at the indices.
 */
export function maxUnpool1d(y: tf.Tensor3D, indices: tf.Tensor3D, size: number, outputLength?: number): tf.Tensor3D {
  checkSize(size, 'maxUnpool1d');
  if (y.rank !== 3) throw new Error(`maxUnpool1d: expected y of shape [batch, windows, channels], got [${y.shape.join(', ')}]`);
  if (indices.shape.join(',') !== y.shape.join(',') || indices.dtype !== 'int32') {
    throw new Error(`maxUnpool1d: indices must be int32 shaped like y [${y.shape.join(', ')}], got ${indices.dtype} [${indices.shape.join(', ')}]`);
  }
  const [batch, windows, channels] = y.shape;
  const length = outputLength ?? windows * size;
  if (!Number.isSafeInteger(length) || length < windows * size) {
    throw new Error(`maxUnpool1d: outputLength must be an integer >= ${windows * size} (${windows} windows of ${size}), got ${outputLength}`);
  }
  return tf.tidy(() => {
    const spread = y.expandDims(2).mul(windowMask(indices, size)).reshape([batch, windows * size, channels]) as tf.Tensor3D;
    return length === windows * size ? spread : tf.pad(spread, [[0, 0], [0, length - windows * size], [0, 0]]);
  });
}

