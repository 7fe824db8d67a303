import * as tf from '@tensorflow/tfjs';
import { nativeDense } from '../kernels/native/fused-ops';
import type { ParameterScope } from './params';

/** Kept here too for older imports; the scope file (./params) is its home. */
export type { NamedVariable } from './params';

/** Activation functions a dense layer can apply. */
export type Activation = 'linear' | 'relu' | 'elu' | 'tanh' | 'sigmoid';

/** Every activation name, for validating configs. */
export const activations: readonly Activation[] = ['linear', 'relu', 'elu', 'tanh', 'sigmoid'];

/** One fully connected layer: `y = activation(x W + b)` with `W` `[inputDim, outputDim]`. */
export interface DenseLayer {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly activation: Activation;
  readonly inputDim: number;
  readonly outputDim: number;
}

/** Throws unless `value` is one of `activations`, naming the config field. */
export function checkActivation(value: string, field: string): Activation {
  if (!(activations as readonly string[]).includes(value)) {
    throw new Error(`${field} must be one of ${activations.join('|')}, got "${value}"`);
  }
  return value as Activation;
}

/** Sizes and activation of a dense layer. */
export interface DenseSpec {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly activation: Activation;
}

/**
 * A dense layer made in `scope` (its weights are `scope/w`, Glorot-uniform from the scope's
 * generator, and `scope/b`, zeros).
 */
export function createDense(scope: ParameterScope, spec: DenseSpec): DenseLayer {
  const { inputDim, outputDim, activation } = spec;
  const weight = scope.addWeight('w', [inputDim, outputDim], { kind: 'glorotUniform', fanIn: inputDim, fanOut: outputDim });
  const bias = scope.addWeight('b', [outputDim], { kind: 'zeros' });
  return { weight, bias, activation, inputDim, outputDim };
}

/**
 * Applies `layer` to `x` `[batch, inputDim]`, giving `[batch, outputDim]`; the matmul, bias and
 * ReLU are one fused kernel (on `native` also while training, with a fused gradient).
 */
export function applyDense(layer: DenseLayer, x: tf.Tensor2D): tf.Tensor2D {
  const fusable = layer.activation === 'linear' || layer.activation === 'relu';
  const native = fusable && x.dtype === 'float32' ? nativeDense(x, layer.weight as tf.Tensor2D, layer.bias as tf.Tensor1D, layer.activation as 'linear' | 'relu') : null;
  if (native !== null) return native;
  const y: tf.Tensor2D = tf.fused.matMul({ a: x, b: layer.weight as tf.Tensor2D, bias: layer.bias, activation: fusable ? layer.activation : 'linear' }) as tf.Tensor2D;
  return fusable ? y : activate(y, layer.activation);
}

/** Applies a named activation elementwise. */
export function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
  }
}

/** Applies `layers` in order. */
export function applyStack(layers: readonly DenseLayer[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  for (const layer of layers) h = applyDense(layer, h);
  return h;
}

/**
 * Reshapes `x` to `[batch, inputDim]` (an image batch `[batch, 28, 28, 1]` becomes `[batch, 784]`);
 * any other size is an error naming `what`, the expected shape (`exampleShape` per example when given) and the actual one.
 */
export function flattenInput(x: tf.Tensor, inputDim: number, what: string, exampleShape?: readonly number[]): tf.Tensor2D {
  const perExample = x.shape.slice(1).reduce((a, b) => a * b, 1);
  if (x.rank < 2 || perExample !== inputDim) {
    const expected = exampleShape === undefined ? `[batch, ${inputDim}] (or [batch, ...] with ${inputDim} values per example)` : `[batch, ${exampleShape.join(', ')}] (or ${inputDim} values per example)`;
    throw new Error(`${what}: expected x of shape ${expected}, got [${x.shape.join(', ')}]`);
  }
  return x.rank === 2 ? (x as tf.Tensor2D) : x.reshape([x.shape[0], inputDim]);
}
