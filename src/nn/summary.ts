import type * as tf from '@tensorflow/tfjs';

/** One row of a model summary, as Keras's `model.summary()` prints it. */
export interface LayerSummary {
  /** The layer's name inside its model, e.g. `encoder/0`, with its kind, e.g. `Conv2D`. */
  readonly layer: string;
  readonly kind: string;
  /** The shape the layer gives for one example (the batch axis left out). */
  readonly outputShape: readonly number[];
  /** Trainable parameters of the layer. */
  readonly params: number;
}

/** Called by a model's forward pass after each layer when a summary is being traced. */
export type LayerTrace = (layer: string, kind: string, output: tf.Tensor, variables?: readonly tf.Variable[]) => void;

/**
 * A `LayerTrace` that collects rows into `rows`: the output shape without its batch axis and the
 * number of values in `variables`.
 */
export function summaryRecorder(rows: LayerSummary[]): LayerTrace {
  return (layer, kind, output, variables = []) => {
    rows.push({ layer, kind, outputShape: output.shape.slice(1), params: variables.reduce((sum, v) => sum + v.size, 0) });
  };
}
