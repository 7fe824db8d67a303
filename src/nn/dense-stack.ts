import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt } from '../core/assert';
import { mixSeed } from '../core/random';
import type { Activation, DenseLayer } from './dense';
import { applyDense, checkActivation, createDense, flattenInput } from './dense';
import type { ApplyOptions, Network } from './network';
import { traceSummary } from './network';
import type { NamedVariable, ParameterScope } from './params';

/** Config of `DenseStack`. */
export interface DenseStackConfig {
  /** Values per example; an input `[batch, ...]` with this many values per example is flattened. */
  readonly inputDim: number;
  /** Output width of each layer, in order, e.g. `[256, 64, 2]`; none: the stack only flattens its input. */
  readonly widths: readonly number[];
  /** Activation of every layer but the last. Default `relu`. */
  readonly activation?: Activation;
  /** Activation of the last layer. Default `linear`. */
  readonly outputActivation?: Activation;
  /** The layers' names inside the stack's scope. Default `0`, `1`, ... */
  readonly layerNames?: readonly string[];
  /**
   * Dropout after every layer but the last, in training only: each value is zeroed with this
   * probability and the rest scaled by 1 / (1 - dropout) (inverted dropout, as PyTorch's
   * `nn.Dropout`), so evaluation needs no rescaling. In [0, 1); default 0 (none). Training with
   * dropout needs `ApplyOptions.seed`.
   */
  readonly dropout?: number;
}

/**
 * Fully connected layers in sequence: a dense encoder (`inputDim -> hidden... -> latentDim`), a
 * dense decoder (the mirror image), a classifier's hidden layers. Input `[batch, inputDim]` (or
 * any `[batch, ...]` with `inputDim` values per example), output `[batch, outputDim]`.
 */
export class DenseStack implements Network<tf.Tensor, tf.Tensor2D> {
  readonly name: string;
  readonly layers: readonly DenseLayer[];
  readonly variables: readonly NamedVariable[];
  readonly stateVariables: readonly NamedVariable[];
  readonly inputDim: number;
  /** Dropout rate after each hidden layer in training (0: none). */
  readonly dropout: number;
  private readonly layerPaths: readonly string[];

  /** Makes the layers in `scope` (e.g. `root.child('encoder')`), drawing their weights in order. */
  constructor(parent: ParameterScope, config: DenseStackConfig) {
    this.inputDim = checkPositiveInt(config.inputDim, 'inputDim');
    const widths = config.widths.map((w, i) => checkPositiveInt(w, `widths[${i}]`));
    const activation = checkActivation(config.activation ?? 'relu', 'activation');
    const last = checkActivation(config.outputActivation ?? 'linear', 'outputActivation');
    const dropout = config.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new Error(`dropout must be a number in [0, 1), got ${String(dropout)}`);
    this.dropout = dropout;
    const names = config.layerNames ?? widths.map((_, i) => String(i));
    if (names.length !== widths.length) throw new Error(`layerNames must name each of the ${widths.length} layers, got ${names.length}`);
    const sizes = [this.inputDim, ...widths];
    const scope = parent.group();
    const scopes = names.map((n) => scope.child(n));
    this.layers = widths.map((out, i) => createDense(scopes[i], { inputDim: sizes[i], outputDim: out, activation: i === widths.length - 1 ? last : activation }));
    this.layerPaths = scopes.map((s) => s.path);
    this.name = scope.path;
    this.variables = scope.trainableVariables;
    this.stateVariables = scope.stateVariables;
  }

  /** Width of the last layer (`inputDim` for a stack of no layers, which only flattens). */
  get outputDim(): number {
    return this.layers.length === 0 ? this.inputDim : this.layers[this.layers.length - 1].outputDim;
  }

  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const what = this.name === '' ? 'dense stack' : this.name;
      let h = flattenInput(x, this.inputDim, what);
      const dropping = options.training === true && this.dropout > 0;
      if (dropping && options.seed === undefined) throw new Error(`${what}: training with dropout needs ApplyOptions.seed (a new seed per step)`);
      this.layers.forEach((layer, i) => {
        h = applyDense(layer, h);
        options.trace?.(this.layerPaths[i], `Dense ${layer.activation}`, h, [layer.weight, layer.bias]);
        if (this.dropout > 0 && i < this.layers.length - 1) {
          if (dropping) h = dropoutMask(h, this.dropout, mixSeed(options.seed!, i));
          options.trace?.(`${this.layerPaths[i]}/dropout`, `Dropout ${this.dropout}`, h, []);
        }
      });
      return h;
    });
  }

  summary() {
    return traceSummary((trace) => this.apply(tf.zeros([1, this.inputDim]), { trace }));
  }
}

/** Inverted dropout: `x` with each value kept with probability 1 - rate and then scaled by 1 / (1 - rate), the mask drawn from `seed`. */
export function dropoutMask(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const keep = tf.randomUniform(x.shape, 0, 1, 'float32', seed).greaterEqual(rate);
    return x.mul(keep.cast('float32')).mul(1 / (1 - rate)) as tf.Tensor2D;
  });
}
