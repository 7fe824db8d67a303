import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import type { BatchNormLayer } from './batch-norm';
import { applyBatchNorm, createBatchNorm } from './batch-norm';
import type { DenseLayer } from './dense';
import { applyDense, createDense, flattenInput } from './dense';
import type { ApplyOptions, Network } from './network';
import { traceSummary } from './network';
import type { NamedVariable, ParameterScope } from './params';
import { maxPool1d, maxUnpool1d } from './pool1d';
import { conv1dPadded, conv1dTranspose } from './pytorch-conv';

/** Config shared by `SignalEncoder` and `SignalDecoder` (the decoder mirrors the encoder of the same config). */
export interface SignalStackConfig {
  /** One signal: `[length, channels]`, e.g. `[2048, 1]`. */
  readonly inputShape: readonly [number, number];
  /** Channels of each encoder block, the first being the long strided convolution. Default `[16, 32]`. */
  readonly filters?: readonly number[];
  /** Kernel of the first convolution. Default 80. */
  readonly firstKernel?: number;
  /** Stride of the first convolution. Default 16. */
  readonly firstStride?: number;
  /** Zero padding at both ends for the first convolution. Default `(firstKernel - firstStride) / 2`, so that length / stride frames come out. */
  readonly firstPadding?: number;
  /** Kernel of the later blocks' convolutions (odd; `same` padding). Default 3. */
  readonly kernelSize?: number;
  /** Max-pooling window (and stride) after each block. Default 2. */
  readonly poolSize?: number;
  /** Pooling window after each block, one per entry of `filters` (1: no pooling after that block); overrides `poolSize`. */
  readonly poolSizes?: readonly number[];
  /** Padding of the later blocks' convolutions: `same` keeps the length, `valid` (none) shortens it by kernelSize - 1. Default `same`. */
  readonly padding?: 'same' | 'valid';
  /** Size of the dense code. Default 32. */
  readonly latentDim?: number;
  /** Batch norm after each convolution but the last transposed one. Default true. */
  readonly batchNorm?: boolean;
}

/** A `SignalStackConfig` with every default filled in (`poolSize` folded into `poolSizes`). */
export type ResolvedSignalStackConfig = Required<Omit<SignalStackConfig, 'poolSize'>>;

/** The checked config and the lengths it gives. */
export interface SignalGeometry {
  readonly config: ResolvedSignalStackConfig;
  /** Frames after the first convolution (before pooling). */
  readonly frames: number;
  /** Each block's length after its convolution (before pooling), outermost first. */
  readonly blockLengths: readonly number[];
  /** Length and channels of the last pooled feature map. */
  readonly codeMapShape: readonly [number, number];
  /** Each encoder block's convolution, outermost first (the decoder runs them backwards, transposed). */
  readonly convolutions: readonly SignalConvolution[];
}

/** One block's convolution: kernel, stride and padding along the signal, channels in and out. */
export interface SignalConvolution {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly inChannels: number;
  readonly outChannels: number;
}

/** Checks a signal stack's config and works out its lengths (errors name the field). */
export function signalGeometry(config: SignalStackConfig): SignalGeometry {
  const shape = [...config.inputShape];
  if (shape.length !== 2) throw new Error(`inputShape must be [length, channels], got [${shape.join(', ')}]`);
  shape.forEach((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
  const firstKernel = checkPositiveInt(config.firstKernel ?? 80, 'firstKernel');
  const firstStride = checkPositiveInt(config.firstStride ?? 16, 'firstStride');
  const padding = config.firstPadding ?? (firstKernel - firstStride) / 2;
  if (!Number.isSafeInteger(padding) || padding < 0) {
    throw new Error(`firstPadding must be an integer >= 0, got ${padding}${config.firstPadding === undefined ? ' (firstKernel - firstStride is odd: set it)' : ''}`);
  }
  const filters = (config.filters ?? [16, 32]).map((f, i) => checkPositiveInt(f, `filters[${i}]`));
  if (filters.length === 0) throw new Error('filters must name at least one block, e.g. [16, 32]');
  if (config.poolSizes !== undefined && config.poolSize !== undefined) throw new Error('give poolSize or poolSizes, not both');
  const poolSize = checkPositiveInt(config.poolSize ?? 2, 'poolSize');
  const poolSizes = (config.poolSizes ?? filters.map(() => poolSize)).map((p, i) => checkPositiveInt(p, `poolSizes[${i}]`));
  const full: ResolvedSignalStackConfig = {
    inputShape: [shape[0], shape[1]],
    filters,
    firstKernel,
    firstStride,
    firstPadding: padding,
    kernelSize: checkPositiveInt(config.kernelSize ?? 3, 'kernelSize'),
    poolSizes,
    padding: config.padding ?? 'same',
    latentDim: checkPositiveInt(config.latentDim ?? 32, 'latentDim'),
    batchNorm: config.batchNorm ?? true,
  };
  if (full.padding !== 'same' && full.padding !== 'valid') throw new Error(`padding must be same|valid, got "${String(full.padding)}"`);
  if (full.padding === 'same' && full.kernelSize % 2 === 0) throw new Error(`kernelSize must be odd (same padding), got ${full.kernelSize}`);
  if (full.poolSizes.length !== full.filters.length) {
    throw new Error(`poolSizes must have one window per block (${full.filters.length}), got ${full.poolSizes.length}`);
  }
  const [length, channels] = full.inputShape;
  const frames = Math.floor((length + 2 * padding - firstKernel) / firstStride) + 1;
  if (frames < 1 || (frames - 1) * firstStride + firstKernel - 2 * padding !== length) {
    throw new Error(
      `inputShape [${length}, ${channels}]: the first convolution (kernel ${firstKernel}, stride ${firstStride}, padding ${padding}) gives ${frames} frames, ` +
        `from which its transposed convolution cannot restore length ${length}; choose a length with (length + 2 * padding - kernel) divisible by the stride`,
    );
  }
  // Each block's length after its convolution; pooling keeps whole windows (a remainder is dropped, and unpooling gives it back as zeros).
  const blockLengths: number[] = [];
  let current = frames;
  full.filters.forEach((_, i) => {
    const convolved = i === 0 || full.padding === 'same' ? current : current - full.kernelSize + 1;
    const pooled = Math.floor(convolved / full.poolSizes[i]);
    if (pooled < 1) {
      throw new Error(`inputShape [${length}, ${channels}] is too short: block ${i} gets ${current} frames, ${convolved} after its convolution, fewer than its pooling window of ${full.poolSizes[i]}`);
    }
    blockLengths.push(convolved);
    current = pooled;
  });
  const half = full.padding === 'same' ? (full.kernelSize - 1) / 2 : 0;
  const convolutions = full.filters.map((outChannels, i) => ({
    kernel: i === 0 ? firstKernel : full.kernelSize,
    stride: i === 0 ? firstStride : 1,
    padding: i === 0 ? padding : half,
    inChannels: i === 0 ? channels : full.filters[i - 1],
    outChannels,
  }));
  return { config: full, frames, blockLengths, codeMapShape: [current, full.filters[full.filters.length - 1]], convolutions };
}

/** A convolution (filter `[kernel, in, out]`) or transposed convolution (filter `[kernel, out, in]`) with its bias or batch norm. */
interface Block {
  readonly path: string;
  readonly filter: tf.Variable;
  readonly bias?: tf.Variable;
  readonly norm?: BatchNormLayer;
  readonly stride: number;
  readonly padding: number;
}

/** Makes a block's kernel in `scope`, then its batch norm (`scope/bn`) or bias. */
function makeBlock(
  scope: ParameterScope,
  shape: [number, number, number],
  fanIn: number,
  fanOut: number,
  outChannels: number,
  stride: number,
  padding: number,
  norm: boolean,
): Block {
  const filter = scope.addWeight('w', shape, { kind: 'glorotUniform', fanIn, fanOut });
  if (norm) return { path: scope.path, filter, norm: createBatchNorm(scope.child('bn'), outChannels), stride, padding };
  return { path: scope.path, filter, bias: scope.addWeight('b', [outChannels], { kind: 'zeros' }), stride, padding };
}

function blockParams(b: Block): tf.Variable[] {
  return b.bias === undefined ? [b.filter] : [b.filter, b.bias];
}

/** What `SignalEncoder.apply` returns. */
export interface SignalEncoding {
  /** Codes `[batch, latentDim]`. */
  readonly z: tf.Tensor2D;
  /** The pooling argmax indices of each block that pools (window > 1), outermost first: int32 `[batch, windows, channels]`. */
  readonly indices: tf.Tensor3D[];
}

/**
 * The lecture's 1-D encoder for signals `[batch, length, channels]`: a long strided convolution
 * (kernel 80, stride 16), batch norm, ReLU, max-pooling that keeps its argmax indices; then per
 * further block a convolution, batch norm, ReLU and pooling; a dense code.
 */
export class SignalEncoder implements Network<tf.Tensor, SignalEncoding> {
  readonly name: string;
  readonly geometry: SignalGeometry;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  private readonly blocks: Block[];
  private readonly toCode: DenseLayer;
  private readonly inputSize: number;

  /** Makes `scope/0` (kernel, then `bn` or bias), `scope/1`, ..., then `scope/code`. */
  constructor(parent: ParameterScope, config: SignalStackConfig) {
    const g = signalGeometry(config);
    const c = g.config;
    const scope = parent.group();
    this.geometry = g;
    this.name = scope.path;
    this.inputSize = c.inputShape[0] * c.inputShape[1];
    this.blocks = g.convolutions.map((b, i) =>
      makeBlock(scope.child(String(i)), [b.kernel, b.inChannels, b.outChannels], b.kernel * b.inChannels, b.kernel * b.outChannels, b.outChannels, b.stride, b.padding, c.batchNorm),
    );
    this.toCode = createDense(scope.child('code'), { inputDim: g.codeMapShape[0] * g.codeMapShape[1], outputDim: c.latentDim, activation: 'linear' });
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  apply(x: tf.Tensor, options: ApplyOptions = {}): SignalEncoding {
    const c = this.geometry.config;
    const { trace } = options;
    const training = options.training === true;
    const out = tf.tidy(() => {
      const indices: tf.Tensor3D[] = [];
      let h = flattenInput(x, this.inputSize, this.name, c.inputShape).reshape([x.shape[0], ...c.inputShape]) as tf.Tensor3D;
      this.blocks.forEach((b, i) => {
        h = conv1dPadded(h, b.filter as tf.Tensor3D, b.stride, b.padding);
        if (b.bias !== undefined) h = h.add(b.bias);
        trace?.(b.path, i === 0 ? `Conv1d k${b.filter.shape[0]} s${b.stride}` : `Conv1d k${b.filter.shape[0]}`, h, blockParams(b));
        if (b.norm !== undefined) {
          h = applyBatchNorm(b.norm, h, training);
          trace?.(`${b.path}/bn`, 'BatchNorm', h, [b.norm.gamma, b.norm.beta]);
        }
        h = tf.relu(h);
        const size = c.poolSizes[i];
        if (size > 1) {
          const pooled = maxPool1d(h, size);
          h = pooled.y;
          indices.push(pooled.indices);
          trace?.(`${b.path}/pool`, `MaxPool1d ${size} (indices kept)`, h);
        }
      });
      const z = applyDense(this.toCode, h.reshape([h.shape[0], -1]) as tf.Tensor2D);
      trace?.(`${this.name}/code`, 'Dense', z, [this.toCode.weight, this.toCode.bias]);
      return [z, ...indices];
    });
    return { z: out[0] as tf.Tensor2D, indices: out.slice(1) as tf.Tensor3D[] };
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, ...this.geometry.config.inputShape]), { trace }));
  }
}

/** What `SignalDecoder.apply` takes: codes and, when known, the encoder's pooling indices. */
export interface SignalCode {
  readonly z: tf.Tensor2D;
  /** From `SignalEncoder`; without them each value is put at the start of its window. */
  readonly indices?: readonly tf.Tensor3D[];
}

/**
 * The mirror of `SignalEncoder` with the same config: dense, then per block in reverse
 * max-unpooling to the given indices and a transposed convolution (batch norm and ReLU but after
 * the last, which has the first block's kernel and stride and a linear output). Gives signals
 * `[batch, length, channels]`.
 */
export class SignalDecoder implements Network<SignalCode, tf.Tensor3D> {
  readonly name: string;
  readonly geometry: SignalGeometry;
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  private readonly fromCode: DenseLayer;
  private readonly blocks: Block[];

  /** Makes `scope/code`, then `scope/0`, `scope/1`, ... (block j undoes encoder block n-1-j). */
  constructor(parent: ParameterScope, config: SignalStackConfig) {
    const g = signalGeometry(config);
    const c = g.config;
    const scope = parent.group();
    this.geometry = g;
    this.name = scope.path;
    this.fromCode = createDense(scope.child('code'), { inputDim: c.latentDim, outputDim: g.codeMapShape[0] * g.codeMapShape[1], activation: 'relu' });
    // Decoder block j undoes encoder block i = n-1-j: it maps that block's outChannels back to its inChannels.
    this.blocks = g.convolutions.map((_, j) => {
      const i = g.convolutions.length - 1 - j;
      const b = g.convolutions[i];
      return makeBlock(scope.child(String(j)), [b.kernel, b.inChannels, b.outChannels], b.kernel * b.outChannels, b.kernel * b.inChannels, b.inChannels, b.stride, b.padding, i > 0 && c.batchNorm);
    });
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  apply(code: SignalCode, options: ApplyOptions = {}): tf.Tensor3D {
    const { z, indices } = code;
    const g = this.geometry;
    const c = g.config;
    const { trace } = options;
    const training = options.training === true;
    if (z.rank !== 2 || z.shape[1] !== c.latentDim) {
      throw new Error(`${this.name}: expected z of shape [batch, ${c.latentDim}], got [${z.shape.join(', ')}]`);
    }
    const n = this.blocks.length;
    const pooling = c.poolSizes.filter((size) => size > 1).length;
    if (indices !== undefined && indices.length !== pooling) {
      throw new Error(`${this.name}: expected ${pooling} index tensors (one per pooling block), got ${indices.length}`);
    }
    return tf.tidy(() => {
      const batch = z.shape[0];
      const flat = applyDense(this.fromCode, z);
      trace?.(`${this.name}/code`, 'Dense', flat, [this.fromCode.weight, this.fromCode.bias]);
      let h = flat.reshape([batch, ...g.codeMapShape]) as tf.Tensor3D;
      this.blocks.forEach((b, j) => {
        const i = n - 1 - j;
        const size = c.poolSizes[i];
        if (size > 1) {
          // The position of block i's indices among the pooling blocks' ones.
          const slot = c.poolSizes.slice(0, i).filter((s) => s > 1).length;
          const windows = h.shape[1];
          const idx = indices?.[slot] ?? tf.tile(tf.range(0, windows * size, size, 'int32').reshape([1, windows, 1]), [batch, 1, h.shape[2]]);
          if (idx.shape.join(',') !== h.shape.join(',')) {
            throw new Error(`${this.name}: indices[${slot}] must have shape [${h.shape.join(', ')}], got [${idx.shape.join(', ')}]`);
          }
          h = maxUnpool1d(h, idx as tf.Tensor3D, size, g.blockLengths[i]);
          trace?.(`${b.path}/unpool`, `MaxUnpool1d ${size}`, h);
        }
        h = conv1dTranspose(h, b.filter as tf.Tensor3D, { stride: b.stride, padding: b.padding });
        if (b.bias !== undefined) h = h.add(b.bias);
        trace?.(b.path, i === 0 ? `ConvTranspose1d k${b.filter.shape[0]} s${b.stride}` : `ConvTranspose1d k${b.filter.shape[0]}`, h, blockParams(b));
        if (i > 0) {
          if (b.norm !== undefined) {
            h = applyBatchNorm(b.norm, h, training);
            trace?.(`${b.path}/bn`, 'BatchNorm', h, [b.norm.gamma, b.norm.beta]);
          }
          h = tf.relu(h);
        }
      });
      return h;
    });
  }

  summary() {
    const c = this.geometry.config;
    return traceSummary((trace) => this.apply({ z: tf.zeros([1, c.latentDim]) }, { trace }));
  }
}
