import * as tf from '@tensorflow/tfjs';
import { makeDataset, subset } from '../../src/data/dataset';
import { loadMnist } from '../../src/data/mnist';

/**
 * `count` MNIST test digits from `offset`, cut to their central 24 x 24 and halved to 12 x 12
 * (2 x 2 means), with their labels: small enough to train a convolutional model in a test.
 */
export function smallDigits(offset: number, count: number) {
  const part = subset(loadMnist('test'), Array.from({ length: count }, (_, i) => offset + i));
  const x = tf.tidy(() => tf.avgPool(tf.tensor4d(part.x, [count, 28, 28, 1]).slice([0, 2, 2, 0], [count, 24, 24, 1]) as tf.Tensor4D, 2, 2, 'valid'));
  return { x, set: makeDataset({ x: x.dataSync() as Float32Array, featureShape: [12, 12, 1], labels: part.labels }) };
}
