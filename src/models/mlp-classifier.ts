import { checkPositiveInt } from '../core/assert';
import type { Activation } from '../nn/dense';
import { checkActivation } from '../nn/dense';
import { DenseStack } from '../nn/dense-stack';
import { ParameterScope } from '../nn/params';
import { ClassifierModel } from './classifier';

/** Config of `MlpClassifier`. */
export interface MlpClassifierConfig {
  /** Values per example, e.g. 784 for MNIST. */
  inputDim: number;
  /** Widths of the hidden layers, e.g. `[128, 2]` for a 2-D layer that can be plotted. */
  hiddenSizes: readonly number[];
  /** Number of classes. */
  classCount: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: Activation;
  /** Activation of the last hidden layer (the one `embed` reads out). Default: `activation`. */
  readoutActivation?: Activation;
  /** Seed of the initial weights. */
  seed: number;
}

/**
 * A multilayer perceptron classifier whose last hidden layer can be read out with `embed`, to see
 * the representation that supervised training shapes: a `DenseStack` body and a linear head under
 * `ClassifierModel`'s objective (softmax cross-entropy).
 */
export class MlpClassifier extends ClassifierModel {
  declare readonly config: Readonly<Required<MlpClassifierConfig>>;

  constructor(config: MlpClassifierConfig) {
    if (config.hiddenSizes.length === 0) throw new Error('hiddenSizes must name at least one hidden layer');
    const activation = checkActivation(config.activation ?? 'relu', 'activation');
    const full: Required<MlpClassifierConfig> = {
      inputDim: checkPositiveInt(config.inputDim, 'inputDim'),
      hiddenSizes: [...config.hiddenSizes].map((h, i) => checkPositiveInt(h, `hiddenSizes[${i}]`)),
      classCount: checkPositiveInt(config.classCount, 'classCount'),
      activation,
      readoutActivation: checkActivation(config.readoutActivation ?? activation, 'readoutActivation'),
      seed: config.seed,
    };
    if (full.classCount < 2) throw new Error(`classCount must be at least 2, got ${full.classCount}`);
    const scope = ParameterScope.create('mlp-classifier', full.seed);
    const body = new DenseStack(scope.child('hidden'), { inputDim: full.inputDim, widths: full.hiddenSizes, activation: full.activation, outputActivation: full.readoutActivation });
    const head = new DenseStack(scope, { inputDim: body.outputDim, widths: [full.classCount], layerNames: ['output'] });
    super({ name: 'mlp-classifier', classCount: full.classCount, config: full }, body, head);
  }

  /** Width of the read-out layer. */
  get latentDim(): number {
    return this.config.hiddenSizes[this.config.hiddenSizes.length - 1];
  }
}
