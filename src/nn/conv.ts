import * as tf from '@tensorflow/tfjs';
import type { Random } from '../core/random';
import type { Activation, NamedVariable } from './dense';
import { activate } from './dense';

/**
 * Convolution layers on images `[batch, height, width, channels]` (NHWC, as TF.js and Keras).
 * A 1-D signal `[batch, length, channels]` runs through the same layers as an image of width 1
 * (`[batch, length, 1, channels]`, kernels `[k, 1]`): that is how TF.js computes conv1d too.
 */

/** A 2-D kernel size or stride: `[rows, columns]`. */
export type Size2 = readonly [number, number];

/** A convolution `y = activation(conv(x, filter) + bias)` with `same` padding. */
export interface ConvLayer {
  /** `[kernelRows, kernelCols, inChannels, outChannels]`. */
  readonly filter: tf.Variable;
  readonly bias: tf.Variable;
  readonly strides: Size2;
  readonly activation: Activation;
}

/**
 * A transposed convolution with `same` padding: the output is `strides` times larger than the
 * input (the learned upsampling of a decoder).
 */
export interface ConvTransposeLayer {
  /** `[kernelRows, kernelCols, outChannels, inChannels]` (TF.js's layout for conv2dTranspose). */
  readonly filter: tf.Variable;
  readonly bias: tf.Variable;
  readonly strides: Size2;
  readonly activation: Activation;
}

/** Glorot-uniform values for a kernel with the given fans (as Keras: receptive field x channels). */
function glorot(count: number, fanIn: number, fanOut: number, random: Random): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(count);
  for (let i = 0; i < w.length; i++) w[i] = (2 * random.next() - 1) * limit;
  return w;
}

/** A kernel variable of any `shape` with Glorot-uniform values from `random`, registered as `name/w`. */
export function createKernel(shape: number[], fanIn: number, fanOut: number, random: Random, scope: string, name: string, registry: NamedVariable[]): tf.Variable {
  const values = glorot(shape.reduce((a, b) => a * b, 1), fanIn, fanOut, random);
  const kernel = tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `${scope}/${name}/w`));
  registry.push({ name: `${name}/w`, variable: kernel });
  return kernel;
}

/** A zero bias variable of `size`, registered as `name/b`. */
export function createBias(size: number, scope: string, name: string, registry: NamedVariable[]): tf.Variable {
  const bias = tf.tidy(() => tf.variable(tf.zeros([size]), true, `${scope}/${name}/b`));
  registry.push({ name: `${name}/b`, variable: bias });
  return bias;
}

function makeVariables(shape: [number, number, number, number], fanIn: number, fanOut: number, biasSize: number, random: Random, scope: string, name: string, registry: NamedVariable[]) {
  const filter = createKernel(shape, fanIn, fanOut, random, scope, name, registry);
  const bias = createBias(biasSize, scope, name, registry);
  return { filter, bias };
}

/** A convolution with Glorot-uniform kernel from `random` and zero bias; variables `name/w`, `name/b` go to `registry`. */
export function createConv(
  kernel: Size2,
  inChannels: number,
  outChannels: number,
  strides: Size2,
  activation: Activation,
  random: Random,
  scope: string,
  name: string,
  registry: NamedVariable[],
): ConvLayer {
  const field = kernel[0] * kernel[1];
  const { filter, bias } = makeVariables([kernel[0], kernel[1], inChannels, outChannels], field * inChannels, field * outChannels, outChannels, random, scope, name, registry);
  return { filter, bias, strides, activation };
}

/** A transposed convolution with Glorot-uniform kernel from `random` and zero bias. */
export function createConvTranspose(
  kernel: Size2,
  inChannels: number,
  outChannels: number,
  strides: Size2,
  activation: Activation,
  random: Random,
  scope: string,
  name: string,
  registry: NamedVariable[],
): ConvTransposeLayer {
  const field = kernel[0] * kernel[1];
  const { filter, bias } = makeVariables([kernel[0], kernel[1], outChannels, inChannels], field * inChannels, field * outChannels, outChannels, random, scope, name, registry);
  return { filter, bias, strides, activation };
}

/** Applies a convolution to `x` `[batch, h, w, inChannels]`; bias and ReLU are fused into the kernel. */
export function applyConv(layer: ConvLayer, x: tf.Tensor4D): tf.Tensor4D {
  const fusable = layer.activation === 'linear' || layer.activation === 'relu';
  const y = tf.fused.conv2d({
    x,
    filter: layer.filter as tf.Tensor4D,
    strides: layer.strides as [number, number],
    pad: 'same',
    bias: layer.bias,
    activation: fusable ? layer.activation : 'linear',
  });
  return fusable ? y : activate(y, layer.activation);
}

/** Applies a transposed convolution to `x` `[batch, h, w, inChannels]`, giving `[batch, h*sh, w*sw, outChannels]`. */
export function applyConvTranspose(layer: ConvTransposeLayer, x: tf.Tensor4D): tf.Tensor4D {
  const [, , outChannels] = layer.filter.shape;
  const [batch, h, w] = x.shape;
  const shape: [number, number, number, number] = [batch, h * layer.strides[0], w * layer.strides[1], outChannels];
  const y = tf.conv2dTranspose(x, layer.filter as tf.Tensor4D, shape, layer.strides as [number, number], 'same');
  return activate(tf.add(y, layer.bias), layer.activation);
}

/** Max pooling over `size` windows with stride `size` and `same` padding (odd sizes round up). */
export function maxPool(x: tf.Tensor4D, size: Size2): tf.Tensor4D {
  return tf.maxPool(x, size as [number, number], size as [number, number], 'same');
}
