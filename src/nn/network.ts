import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from './params';
import type { LayerSummary, LayerTrace } from './summary';
import { summaryRecorder } from './summary';

/** Options of `Network.apply`. */
export interface ApplyOptions {
  /** True in training: batch norm uses and updates batch statistics. Default false. */
  readonly training?: boolean;
  /** Called after each layer when a summary is traced. */
  readonly trace?: LayerTrace;
  /**
   * Seed of the noise a network draws in training (dropout masks); a model passes a new one per
   * step (`NetworkModel.noiseSeed`), so a resumed run draws the same masks.
   */
  readonly seed?: number;
}

/**
 * A part of a model: layers with their weights and a forward pass. Models (the objectives in
 * src/models) compose networks: an autoencoder is an encoder and a decoder, a VAE adds a Gaussian
 * head. Tensors in are not disposed; the caller owns what `apply` returns.
 */
export interface Network<In = tf.Tensor, Out = tf.Tensor> {
  /** Where its weights are named in the model, e.g. `encoder`. */
  readonly name: string;
  /** The trainable variables, in creation order. */
  readonly variables: readonly NamedVariable[];
  /** Variables it updates itself in training (batch-norm running statistics). */
  readonly stateVariables: readonly NamedVariable[];
  /** The forward pass on a batch. */
  apply(x: In, options?: ApplyOptions): Out;
  /** Its layers with their output shapes (for one example) and parameter counts, traced on zeros, as Keras's `summary()`. */
  summary(): LayerSummary[];
}

/** The rows `forward(trace)` records (run inside `tf.tidy` on zeros by the caller's closure). */
export function traceSummary(forward: (trace: LayerTrace) => unknown): LayerSummary[] {
  const rows: LayerSummary[] = [];
  const trace = summaryRecorder(rows);
  tf.tidy(() => {
    forward(trace);
  });
  return rows;
}

/** The variables of `networks` in order, each once (a network may be shared by two parts). */
export function collectVariables(networks: readonly Pick<Network<never, unknown>, 'variables' | 'stateVariables'>[]): { trainable: NamedVariable[]; state: NamedVariable[] } {
  const seen = new Set<tf.Variable>();
  const trainable: NamedVariable[] = [];
  const state: NamedVariable[] = [];
  const names = new Set<string>();
  const add = (list: NamedVariable[], v: NamedVariable) => {
    if (seen.has(v.variable)) return;
    if (names.has(v.name)) throw new Error(`two different variables are named "${v.name}": give the networks different scopes`);
    seen.add(v.variable);
    names.add(v.name);
    list.push(v);
  };
  for (const n of networks) {
    for (const v of n.variables) add(trainable, v);
    for (const v of n.stateVariables) add(state, v);
  }
  return { trainable, state };
}
