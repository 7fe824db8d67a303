import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { ConvLayer, ConvTransposeLayer, Size2 } from './conv';
import { applyConv, applyConvTranspose, createConv, createConvTranspose, maxPool } from './conv';
import type { Activation, DenseLayer } from './dense';
import { applyDense, checkActivation, createDense, flattenInput } from './dense';
import type { ApplyOptions, Network } from './network';
import { traceSummary } from './network';
import type { NamedVariable, ParameterScope } from './params';

/** Config shared by `ConvEncoder` and `ConvDecoder` (a decoder mirrors the encoder of the same config). */
export interface ConvStackConfig {
  /**
   * Shape of one example: `[height, width, channels]` for images (e.g. `[28, 28, 1]`), or
   * `[length, channels]` for 1-D signals (run as images of width 1). Each spatial size must be
   * divisible by 2^(number of blocks).
   */
  readonly inputShape: readonly number[];
  /** Channels of each encoder block (a `same` convolution then a 2x max-pool), outermost first. E.g. `[32, 32]`. */
  readonly filters: readonly number[];
  /** Kernel size (square in 2-D). Default 3. */
  readonly kernelSize?: number;
  /** Size of a dense code after the last block. Default: none, the code is the last feature map, flattened. */
  readonly latentDim?: number;
  /** Activation of the hidden layers. Default `relu`. */
  readonly activation?: Activation;
}

/** The sizes a conv stack works with, checked. */
export interface ConvGeometry {
  readonly inputShape: readonly number[];
  readonly filters: readonly number[];
  readonly kernelSize: number;
  readonly latentDim?: number;
  readonly activation: Activation;
  readonly oneD: boolean;
  /** One example as an image `[rows, cols, channels]` (cols 1 in 1-D). */
  readonly image: readonly [number, number, number];
  readonly pool: Size2;
  readonly kernel: Size2;
  /** Shape of the last feature map `[rows, cols, channels]`. */
  readonly codeMapShape: readonly [number, number, number];
  /** Size of a code: `latentDim`, or the flattened last feature map. */
  readonly codeSize: number;
}

/** Checks a conv stack's config and works out its sizes (errors name the field). */
export function convGeometry(config: ConvStackConfig): ConvGeometry {
  const shape = [...config.inputShape];
  if (shape.length !== 2 && shape.length !== 3) {
    throw new Error(`inputShape must be [height, width, channels] or [length, channels], got [${shape.join(', ')}]`);
  }
  shape.forEach((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
  if (config.filters.length === 0) throw new Error('filters must name at least one block, e.g. [32, 32]');
  const filters = config.filters.map((f, i) => checkPositiveInt(f, `filters[${i}]`));
  const kernelSize = checkPositiveInt(config.kernelSize ?? 3, 'kernelSize');
  const latentDim = config.latentDim === undefined ? undefined : checkPositiveInt(config.latentDim, 'latentDim');
  const activation = checkActivation(config.activation ?? 'relu', 'activation');
  const oneD = shape.length === 2;
  const image: [number, number, number] = oneD ? [shape[0], 1, shape[1]] : [shape[0], shape[1], shape[2]];
  const factor = 2 ** filters.length;
  const spatial = oneD ? [shape[0]] : [shape[0], shape[1]];
  if (spatial.some((d) => d % factor !== 0)) {
    throw new Error(
      `inputShape [${shape.join(', ')}]: with ${filters.length} pooling blocks every spatial size must be divisible by ${factor} so that the decoder restores it exactly`,
    );
  }
  const codeMapShape: [number, number, number] = [image[0] / factor, oneD ? 1 : image[1] / factor, filters[filters.length - 1]];
  return {
    inputShape: shape,
    filters,
    kernelSize,
    latentDim,
    activation,
    oneD,
    image,
    pool: oneD ? [2, 1] : [2, 2],
    kernel: oneD ? [kernelSize, 1] : [kernelSize, kernelSize],
    codeMapShape,
    codeSize: latentDim ?? codeMapShape[0] * codeMapShape[1] * codeMapShape[2],
  };
}

/**
 * A convolutional encoder: per entry of `filters` a `same` convolution with the hidden activation
 * and a 2x max-pool, then (with `latentDim`) a linear dense code. Input `[batch, ...inputShape]`
 * (any shape with as many values per example), output codes `[batch, codeSize]`. With
 * `filters: [32, 32]`, kernel 3 and MNIST it is the encoder of the lecture's model (notebook 05).
 */
export class ConvEncoder implements Network<tf.Tensor, tf.Tensor2D> {
  readonly name: string;
  readonly geometry: ConvGeometry;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  private readonly convs: ConvLayer[];
  private readonly toCode?: DenseLayer;
  private readonly paths: string[];
  private readonly inputSize: number;

  /** Makes `scope/0`, `scope/1`, ... and `scope/code` (with `latentDim`), in that order. */
  constructor(parent: ParameterScope, config: ConvStackConfig) {
    const g = convGeometry(config);
    const scope = parent.group();
    this.geometry = g;
    this.name = scope.path;
    this.inputSize = g.image[0] * g.image[1] * g.image[2];
    const channels = [g.image[2], ...g.filters];
    const scopes = g.filters.map((_, i) => scope.child(String(i)));
    this.convs = g.filters.map((f, i) => createConv(scopes[i], { kernel: g.kernel, inChannels: channels[i], outChannels: f, strides: [1, 1], activation: g.activation }));
    this.paths = scopes.map((s) => s.path);
    if (g.latentDim !== undefined) {
      const mapSize = g.codeMapShape[0] * g.codeMapShape[1] * g.codeMapShape[2];
      this.toCode = createDense(scope.child('code'), { inputDim: mapSize, outputDim: g.latentDim, activation: 'linear' });
    }
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  /** Size of a code. */
  get outputDim(): number {
    return this.geometry.codeSize;
  }

  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor2D {
    const g = this.geometry;
    const { trace } = options;
    return tf.tidy(() => {
      let h = flattenInput(x, this.inputSize, this.name, g.inputShape).reshape([x.shape[0], ...g.image]) as tf.Tensor4D;
      const conv = g.oneD ? 'Conv1d' : 'Conv2D';
      this.convs.forEach((layer, i) => {
        h = applyConv(layer, h);
        trace?.(this.paths[i], `${conv} ${g.kernelSize} same ${layer.activation}`, h, [layer.filter, layer.bias]);
        h = maxPool(h, g.pool);
        trace?.(`${this.paths[i]}/pool`, 'MaxPool 2', h);
      });
      const flat = h.reshape([h.shape[0], -1]) as tf.Tensor2D;
      if (this.toCode === undefined) return flat;
      const z = applyDense(this.toCode, flat);
      trace?.(`${this.name}/code`, 'Dense', z, [this.toCode.weight, this.toCode.bias]);
      return z;
    });
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, ...this.geometry.image]), { trace }));
  }
}

/**
 * The mirror of `ConvEncoder` with the same config: (with `latentDim`) a dense layer back to the
 * last feature map, per block in reverse a stride-2 transposed convolution with the hidden
 * activation, then a `same` convolution to `outputChannels` (default: the input's channels),
 * linear: it returns logits `[batch, rows, cols, channels]` (cols 1 in 1-D), and the model applies
 * the output activation.
 */
export class ConvDecoder implements Network<tf.Tensor2D, tf.Tensor4D> {
  readonly name: string;
  readonly geometry: ConvGeometry;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  private readonly fromCode?: DenseLayer;
  private readonly deconvs: ConvTransposeLayer[];
  private readonly output: ConvLayer;
  private readonly paths: string[];
  private readonly outputPath: string;
  private readonly outputLabel: string;

  /**
   * Makes `scope/code` (with `latentDim`), `scope/0`, `scope/1`, ... and `scope/output`, in that
   * order. `outputActivation` only labels the summary's last row (the model applies it).
   */
  constructor(parent: ParameterScope, config: ConvStackConfig & { outputChannels?: number; outputActivation?: string }) {
    const g = convGeometry(config);
    const outputChannels = checkPositiveInt(config.outputChannels ?? g.image[2], 'outputChannels');
    const scope = parent.group();
    this.geometry = g;
    this.name = scope.path;
    if (g.latentDim !== undefined) {
      const mapSize = g.codeMapShape[0] * g.codeMapShape[1] * g.codeMapShape[2];
      this.fromCode = createDense(scope.child('code'), { inputDim: g.latentDim, outputDim: mapSize, activation: g.activation });
    }
    const back = [...g.filters].reverse();
    const scopes = back.map((_, i) => scope.child(String(i)));
    this.deconvs = back.map((f, i) =>
      createConvTranspose(scopes[i], { kernel: g.kernel, inChannels: i === 0 ? back[0] : back[i - 1], outChannels: f, strides: g.pool, activation: g.activation }),
    );
    this.paths = scopes.map((s) => s.path);
    const outScope = scope.child('output');
    this.output = createConv(outScope, { kernel: g.kernel, inChannels: back[back.length - 1], outChannels: outputChannels, strides: [1, 1], activation: 'linear' });
    this.outputPath = outScope.path;
    this.outputLabel = config.outputActivation ?? 'linear';
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  /** Size of a code it decodes. */
  get inputDim(): number {
    return this.geometry.codeSize;
  }

  apply(z: tf.Tensor2D, options: ApplyOptions = {}): tf.Tensor4D {
    const g = this.geometry;
    const { trace } = options;
    if (z.rank !== 2 || z.shape[1] !== g.codeSize) {
      throw new Error(`${this.name}: expected z of shape [batch, ${g.codeSize}], got [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      let flat = z;
      if (this.fromCode !== undefined) {
        flat = applyDense(this.fromCode, z);
        trace?.(`${this.name}/code`, 'Dense', flat, [this.fromCode.weight, this.fromCode.bias]);
      }
      let h = flat.reshape([z.shape[0], ...g.codeMapShape]) as tf.Tensor4D;
      this.deconvs.forEach((layer, i) => {
        h = applyConvTranspose(layer, h);
        trace?.(this.paths[i], `${g.oneD ? 'ConvTranspose1d' : 'Conv2DTranspose'} ${g.kernelSize} stride 2 same ${layer.activation}`, h, [layer.filter, layer.bias]);
      });
      const out = applyConv(this.output, h);
      trace?.(this.outputPath, `${g.oneD ? 'Conv1d' : 'Conv2D'} ${g.kernelSize} same ${this.outputLabel}`, out, [this.output.filter, this.output.bias]);
      return out;
    });
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, this.geometry.codeSize]), { trace }));
  }
}
