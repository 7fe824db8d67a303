import * as tf from '@tensorflow/tfjs';
import type { Activation } from './dense';
import { nativeBiasActivation, nativeConv } from '../kernels/native/fused-ops';
import { activate } from './dense';
import type { ParameterScope } from './params';

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

/** Kernel, channels, strides and activation of a convolution or transposed convolution. */
export interface ConvSpec {
  readonly kernel: Size2;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly strides: Size2;
  readonly activation: Activation;
}

/** The Glorot fans of a kernel as Keras counts them: receptive field times input (output) channels. */
function fans(spec: ConvSpec): { kind: 'glorotUniform'; fanIn: number; fanOut: number } {
  const field = spec.kernel[0] * spec.kernel[1];
  return { kind: 'glorotUniform', fanIn: field * spec.inChannels, fanOut: field * spec.outChannels };
}

/** A convolution made in `scope`: kernel `scope/w` Glorot-uniform from the scope's generator, bias `scope/b` zeros. */
export function createConv(scope: ParameterScope, spec: ConvSpec): ConvLayer {
  const filter = scope.addWeight('w', [spec.kernel[0], spec.kernel[1], spec.inChannels, spec.outChannels], fans(spec));
  const bias = scope.addWeight('b', [spec.outChannels], { kind: 'zeros' });
  return { filter, bias, strides: spec.strides, activation: spec.activation };
}

/** A transposed convolution made in `scope` (kernel `[rows, cols, outChannels, inChannels]`, TF.js's layout). */
export function createConvTranspose(scope: ParameterScope, spec: ConvSpec): ConvTransposeLayer {
  const filter = scope.addWeight('w', [spec.kernel[0], spec.kernel[1], spec.outChannels, spec.inChannels], fans(spec));
  const bias = scope.addWeight('b', [spec.outChannels], { kind: 'zeros' });
  return { filter, bias, strides: spec.strides, activation: spec.activation };
}

/**
 * Applies a convolution to `x` `[batch, h, w, inChannels]`; bias and ReLU are fused into the kernel
 * (on `native` also while training, with a fused gradient).
 */
export function applyConv(layer: ConvLayer, x: tf.Tensor4D): tf.Tensor4D {
  const fusable = layer.activation === 'linear' || layer.activation === 'relu';
  if (fusable && x.dtype === 'float32') {
    const native = nativeConv(x, layer.filter as tf.Tensor4D, layer.bias as tf.Tensor1D, layer.strides as [number, number], 'same', layer.activation as 'linear' | 'relu');
    if (native !== null) return native;
  }
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
  if (layer.activation === 'linear' || layer.activation === 'relu') {
    const native = nativeBiasActivation(y, layer.bias as tf.Tensor1D, layer.activation);
    if (native !== null) return native;
  }
  return activate(tf.add(y, layer.bias), layer.activation);
}

/** Max pooling over `size` windows with stride `size` and `same` padding (odd sizes round up). */
export function maxPool(x: tf.Tensor4D, size: Size2): tf.Tensor4D {
  return tf.maxPool(x, size as [number, number], size as [number, number], 'same');
}
