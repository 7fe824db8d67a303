import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed, Random } from '../core/random';
import type { Corruption } from '../data/corruption';
import { checkCorruption, corrupt } from '../data/corruption';
import { sumSquaredError } from '../losses';
import type { BatchNormLayer } from '../nn/batch-norm';
import { applyBatchNorm, createBatchNorm } from '../nn/batch-norm';
import { createBias, createKernel } from '../nn/conv';
import { conv1dPadded, conv1dTranspose, maxPool1d, maxUnpool1d } from '../nn/conv1d';
import type { DenseLayer, NamedVariable } from '../nn/dense';
import { applyDense, createDense, flattenInput, uniqueScope } from '../nn/dense';
import type { LayerSummary, LayerTrace } from '../nn/summary';
import { summaryRecorder } from '../nn/summary';
import type { LossOptions, LossTerms, RepresentationModel, TrainBatch } from './model';

/** Config of `ConvAutoencoder1d`. */
export interface ConvAutoencoder1dConfig {
  /** One signal: `[length, channels]`, e.g. `[2048, 1]`. */
  inputShape: readonly [number, number];
  /** Channels of each encoder block, the first being the long strided convolution. Default `[16, 32]`. */
  filters?: readonly number[];
  /** Kernel of the first convolution. Default 80. */
  firstKernel?: number;
  /** Stride of the first convolution. Default 16. */
  firstStride?: number;
  /** Zero padding at both ends for the first convolution. Default `(firstKernel - firstStride) / 2`, so that length / stride frames come out. */
  firstPadding?: number;
  /** Kernel of the later blocks' convolutions (odd; `same` padding). Default 3. */
  kernelSize?: number;
  /** Max-pooling window (and stride) after each block. Default 2. */
  poolSize?: number;
  /** Pooling window after each block, one per entry of `filters` (1: no pooling after that block); overrides `poolSize`. */
  poolSizes?: readonly number[];
  /** Padding of the later blocks' convolutions: `same` keeps the length, `valid` (none) shortens it by kernelSize - 1. Default `same`. */
  padding?: 'same' | 'valid';
  /** Size of the dense code. Default 32. */
  latentDim?: number;
  /** Batch norm after each convolution but the last transposed one. Default true. */
  batchNorm?: boolean;
  /** A denoising autoencoder: in training, the input is corrupted and the loss compares with the clean signal (use `clip: false` for signals). */
  corruption?: Corruption;
  /** Seed of the initial weights and of the corruption noise. */
  seed: number;
}

type Resolved = Required<Omit<ConvAutoencoder1dConfig, 'corruption' | 'poolSize'>> & { corruption?: Corruption };

/** A convolution (filter `[kernel, in, out]`) or transposed convolution (filter `[kernel, out, in]`) with its optional bias and batch norm. */
interface Block {
  readonly filter: tf.Variable;
  readonly bias?: tf.Variable;
  readonly norm?: BatchNormLayer;
  readonly stride: number;
  readonly padding: number;
}

/** What `encodeWithIndices` returns. */
export interface Encoding1d {
  /** Codes `[batch, latentDim]`. */
  readonly z: tf.Tensor2D;
  /** The pooling argmax indices of each block that pools (window > 1), outermost first: int32 `[batch, windows, channels]`. */
  readonly indices: tf.Tensor3D[];
}

/**
 * A 1-D convolutional autoencoder for signals `[batch, length, channels]`, after the lecture's.
 * Encoder: a long strided convolution (kernel 80, stride 16), batch norm, ReLU, max-pooling that
 * keeps its argmax indices; then per further block a `same` convolution, batch norm, ReLU and
 * pooling; a dense code. Decoder: dense, then per block in reverse max-unpooling to the kept
 * indices and a transposed convolution (batch norm and ReLU but after the last, which has kernel
 * 80 and stride 16 and a linear output). Squared error loss summed over samples, batch-mean.
 *
 * The indices are side information from the encoder: `reconstruct` uses them; `decode(z)` alone
 * has none and puts each value at the start of its window.
 */
export class ConvAutoencoder1d implements RepresentationModel {
  readonly name = 'conv-autoencoder-1d';
  readonly config: Readonly<Resolved>;
  readonly namedVariables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  readonly trainableVariables: readonly tf.Variable[];
  /** Frames after the first convolution (before pooling). */
  readonly frames: number;
  /** Length and channels of the last pooled feature map. */
  readonly codeMapShape: readonly [number, number];
  /** Each block's length after its convolution (before pooling), outermost first. */
  readonly blockLengths: readonly number[];
  private readonly inputSize: number;
  private readonly encoder: Block[];
  private readonly decoder: Block[];
  private readonly toCode: DenseLayer;
  private readonly fromCode: DenseLayer;
  private calls = 0;

  constructor(config: ConvAutoencoder1dConfig) {
    const shape = [...config.inputShape];
    if (shape.length !== 2) throw new Error(`inputShape must be [length, channels], got [${shape.join(', ')}]`);
    shape.forEach((d, i) => checkPositiveInt(d, `inputShape[${i}]`));
    const firstKernel = checkPositiveInt(config.firstKernel ?? 80, 'firstKernel');
    const firstStride = checkPositiveInt(config.firstStride ?? 16, 'firstStride');
    const padding = config.firstPadding ?? (firstKernel - firstStride) / 2;
    if (!Number.isSafeInteger(padding) || padding < 0) {
      throw new Error(`firstPadding must be an integer >= 0, got ${padding}${config.firstPadding === undefined ? ' (firstKernel - firstStride is odd: set it)' : ''}`);
    }
    const full: Resolved = {
      inputShape: [shape[0], shape[1]],
      filters: (config.filters ?? [16, 32]).map((f, i) => checkPositiveInt(f, `filters[${i}]`)),
      firstKernel,
      firstStride,
      firstPadding: padding,
      kernelSize: checkPositiveInt(config.kernelSize ?? 3, 'kernelSize'),
      poolSizes: [],
      padding: config.padding ?? 'same',
      latentDim: checkPositiveInt(config.latentDim ?? 32, 'latentDim'),
      batchNorm: config.batchNorm ?? true,
      seed: config.seed,
    };
    if (config.corruption !== undefined) full.corruption = { ...checkCorruption(config.corruption) };
    if (full.filters.length === 0) throw new Error('filters must name at least one block, e.g. [16, 32]');
    if (full.padding !== 'same' && full.padding !== 'valid') throw new Error(`padding must be same|valid, got "${String(full.padding)}"`);
    if (full.padding === 'same' && full.kernelSize % 2 === 0) throw new Error(`kernelSize must be odd (same padding), got ${full.kernelSize}`);
    if (config.poolSizes !== undefined && config.poolSize !== undefined) throw new Error('give poolSize or poolSizes, not both');
    const poolSize = checkPositiveInt(config.poolSize ?? 2, 'poolSize');
    full.poolSizes = (config.poolSizes ?? full.filters.map(() => poolSize)).map((p, i) => checkPositiveInt(p, `poolSizes[${i}]`));
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
    this.config = full;
    this.frames = frames;
    this.blockLengths = blockLengths;
    this.inputSize = length * channels;
    this.codeMapShape = [current, full.filters[full.filters.length - 1]];

    const random = new Random(full.seed);
    const scope = uniqueScope(this.name);
    const registry: NamedVariable[] = [];
    const state: NamedVariable[] = [];
    const block = (filter: tf.Variable, outChannels: number, stride: number, pad: number, name: string, norm: boolean): Block => {
      if (norm) return { filter, norm: createBatchNorm(outChannels, scope, `${name}/bn`, registry, state), stride, padding: pad };
      return { filter, bias: createBias(outChannels, scope, name, registry), stride, padding: pad };
    };
    const ks = full.kernelSize;
    const half = full.padding === 'same' ? (ks - 1) / 2 : 0;
    const chans = [channels, ...full.filters];
    this.encoder = full.filters.map((out, i) => {
      const k = i === 0 ? firstKernel : ks;
      const w = createKernel([k, chans[i], out], k * chans[i], k * out, random, scope, `encoder/${i}`, registry);
      return block(w, out, i === 0 ? firstStride : 1, i === 0 ? padding : half, `encoder/${i}`, full.batchNorm);
    });
    const mapSize = this.codeMapShape[0] * this.codeMapShape[1];
    this.toCode = createDense(mapSize, full.latentDim, 'linear', random, scope, 'encoder/code', registry);
    this.fromCode = createDense(full.latentDim, mapSize, 'relu', random, scope, 'decoder/code', registry);
    // Decoder block j undoes encoder block i = n-1-j: it maps chans[i+1] back to chans[i].
    this.decoder = full.filters.map((_, j) => {
      const i = full.filters.length - 1 - j;
      const k = i === 0 ? firstKernel : ks;
      const w = createKernel([k, chans[i], chans[i + 1]], k * chans[i + 1], k * chans[i], random, scope, `decoder/${j}`, registry);
      return block(w, chans[i], i === 0 ? firstStride : 1, i === 0 ? padding : half, `decoder/${j}`, i > 0 && full.batchNorm);
    });
    this.namedVariables = registry;
    this.stateVariables = state;
    this.trainableVariables = registry.map((v) => v.variable);
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /**
   * Bits per signal that the pooling indices pass from the encoder to the decoder beside the code:
   * log2(window) for each pooled value of each channel.
   */
  get indexBits(): number {
    return this.config.poolSizes.reduce((bits, size, i) => bits + Math.floor(this.blockLengths[i] / size) * this.config.filters[i] * Math.log2(size), 0);
  }

  private asSignal(x: tf.Tensor, what: string): tf.Tensor3D {
    return flattenInput(x, this.inputSize, `${this.name}.${what}`, this.config.inputShape).reshape([x.shape[0], ...this.config.inputShape]);
  }

  private encodeSignal(x: tf.Tensor3D, training: boolean, trace?: LayerTrace): Encoding1d {
    const indices: tf.Tensor3D[] = [];
    let h = x;
    this.encoder.forEach((b, i) => {
      h = conv1dPadded(h, b.filter as tf.Tensor3D, b.stride, b.padding);
      if (b.bias !== undefined) h = h.add(b.bias);
      trace?.(`encoder/${i}`, i === 0 ? `Conv1d k${b.filter.shape[0]} s${b.stride}` : `Conv1d k${b.filter.shape[0]}`, h, b.bias === undefined ? [b.filter] : [b.filter, b.bias]);
      if (b.norm !== undefined) {
        h = applyBatchNorm(b.norm, h, training);
        trace?.(`encoder/${i}/bn`, 'BatchNorm', h, [b.norm.gamma, b.norm.beta]);
      }
      h = tf.relu(h);
      const size = this.config.poolSizes[i];
      if (size > 1) {
        const pooled = maxPool1d(h, size);
        h = pooled.y;
        indices.push(pooled.indices);
        trace?.(`encoder/${i}/pool`, `MaxPool1d ${size} (indices kept)`, h);
      }
    });
    const z = applyDense(this.toCode, h.reshape([h.shape[0], -1]) as tf.Tensor2D);
    trace?.('encoder/code', 'Dense', z, [this.toCode.weight, this.toCode.bias]);
    return { z, indices };
  }

  private decodeSignal(z: tf.Tensor2D, indices: readonly tf.Tensor3D[] | undefined, training: boolean, trace?: LayerTrace): tf.Tensor3D {
    if (z.rank !== 2 || z.shape[1] !== this.latentDim) {
      throw new Error(`${this.name}.decode: expected z of shape [batch, ${this.latentDim}], got [${z.shape.join(', ')}]`);
    }
    const n = this.encoder.length;
    const pooling = this.config.poolSizes.filter((size) => size > 1).length;
    if (indices !== undefined && indices.length !== pooling) {
      throw new Error(`${this.name}.decode: expected ${pooling} index tensors (one per pooling block), got ${indices.length}`);
    }
    const batch = z.shape[0];
    const flat = applyDense(this.fromCode, z);
    trace?.('decoder/code', 'Dense', flat, [this.fromCode.weight, this.fromCode.bias]);
    let h = flat.reshape([batch, ...this.codeMapShape]) as tf.Tensor3D;
    this.decoder.forEach((b, j) => {
      const i = n - 1 - j;
      const size = this.config.poolSizes[i];
      if (size > 1) {
        // The position of block i's indices among the pooling blocks' ones.
        const slot = this.config.poolSizes.slice(0, i).filter((s) => s > 1).length;
        const windows = h.shape[1];
        const idx = indices?.[slot] ?? tf.tile(tf.range(0, windows * size, size, 'int32').reshape([1, windows, 1]), [batch, 1, h.shape[2]]);
        if (idx.shape.join(',') !== h.shape.join(',')) {
          throw new Error(`${this.name}.decode: indices[${slot}] must have shape [${h.shape.join(', ')}], got [${idx.shape.join(', ')}]`);
        }
        h = maxUnpool1d(h, idx as tf.Tensor3D, size, this.blockLengths[i]);
        trace?.(`decoder/${j}/unpool`, `MaxUnpool1d ${size}`, h);
      }
      h = conv1dTranspose(h, b.filter as tf.Tensor3D, { stride: b.stride, padding: b.padding });
      if (b.bias !== undefined) h = h.add(b.bias);
      trace?.(`decoder/${j}`, i === 0 ? `ConvTranspose1d k${b.filter.shape[0]} s${b.stride}` : `ConvTranspose1d k${b.filter.shape[0]}`, h, b.bias === undefined ? [b.filter] : [b.filter, b.bias]);
      if (i > 0) {
        if (b.norm !== undefined) {
          h = applyBatchNorm(b.norm, h, training);
          trace?.(`decoder/${j}/bn`, 'BatchNorm', h, [b.norm.gamma, b.norm.beta]);
        }
        h = tf.relu(h);
      }
    });
    return h;
  }

  /** Codes `[batch, latentDim]` of signals `x` `[batch, length, channels]` (running batch-norm statistics). */
  encode(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.encodeSignal(this.asSignal(x, 'encode'), false).z);
  }

  /** Codes and the pooling indices (the caller disposes both). */
  encodeWithIndices(x: tf.Tensor): Encoding1d {
    const result = tf.tidy(() => {
      const e = this.encodeSignal(this.asSignal(x, 'encodeWithIndices'), false);
      return [e.z, ...e.indices];
    });
    return { z: result[0] as tf.Tensor2D, indices: result.slice(1) as tf.Tensor3D[] };
  }

  /**
   * Signals `[batch, length, channels]` from codes `z`; unpooling uses `indices` (from
   * `encodeWithIndices`) when given, else the start of each window.
   */
  decode(z: tf.Tensor2D, indices?: readonly tf.Tensor3D[]): tf.Tensor3D {
    return tf.tidy(() => this.decodeSignal(z, indices, false));
  }

  /** `decode(encode(x))` with the encoder's pooling indices, shaped like `x`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const e = this.encodeSignal(this.asSignal(x, 'reconstruct'), false);
      return this.decodeSignal(e.z, e.indices, false).reshape(x.shape);
    });
  }

  embed(x: tf.Tensor): tf.Tensor2D {
    return this.encode(x);
  }

  /**
   * `{ total, reconstruction }`: squared error summed over the samples of a signal, batch-mean.
   * `training: true` uses batch statistics (and updates the running ones) and, for a denoising
   * model, encodes a corrupted copy (noise seeded by `seed` and `step`).
   */
  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    const training = options.training === true;
    const step = options.step ?? this.calls;
    this.calls += 1;
    const { corruption } = this.config;
    return tf.tidy(() => {
      const x = this.asSignal(batch.x, 'computeLoss');
      const input = training && corruption !== undefined ? corrupt(x, corruption, mixSeed(this.config.seed, step)) : x;
      const e = this.encodeSignal(input, training);
      const xHat = this.decodeSignal(e.z, e.indices, training);
      const n = x.shape[0];
      const reconstruction = sumSquaredError(x.reshape([n, this.inputSize]), xHat.reshape([n, this.inputSize]));
      return { total: reconstruction, reconstruction: reconstruction.clone() };
    });
  }

  /** The layers with their output shapes (for one signal) and parameter counts, traced on a zero signal. */
  summary(): LayerSummary[] {
    const rows: LayerSummary[] = [];
    const trace = summaryRecorder(rows);
    tf.tidy(() => {
      const e = this.encodeSignal(tf.zeros([1, ...this.config.inputShape]), false, trace);
      this.decodeSignal(e.z, e.indices, false, trace);
    });
    return rows;
  }

  /** Frees the weights and running statistics. */
  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
    for (const v of this.stateVariables) v.variable.dispose();
  }
}
