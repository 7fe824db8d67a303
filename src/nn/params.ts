import * as tf from '@tensorflow/tfjs';
import { Random } from '../core/random';

/** A variable with the name it has inside its model (stable across instances, used by checkpoints). */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
}

/**
 * How a new weight starts: Glorot-uniform (Glorot and Bengio 2010: uniform in +-sqrt(6 / (fanIn +
 * fanOut))), uniform in +-limit (a VQ-VAE's codebook), zeros or ones. Random ones are drawn from
 * the scope's generator, so a seed fixes them on every backend.
 */
export type Initializer =
  | { readonly kind: 'glorotUniform'; readonly fanIn: number; readonly fanOut: number }
  | { readonly kind: 'uniform'; readonly limit: number }
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' };

/** `count` Glorot-uniform values for fans `fanIn`, `fanOut`, drawn in order from `random`. */
export function glorotUniform(count: number, fanIn: number, fanOut: number, random: Random): Float32Array {
  return uniformValues(count, Math.sqrt(6 / (fanIn + fanOut)), random);
}

/** `count` values uniform in +-`limit`, drawn in order from `random`. */
function uniformValues(count: number, limit: number, random: Random): Float32Array {
  const w = new Float32Array(count);
  for (let i = 0; i < w.length; i++) w[i] = (2 * random.next() - 1) * limit;
  return w;
}

let instanceCounter = 0;

/** A prefix unique to this process for the TF.js names of one model's variables (TF.js names are global). */
export function uniqueScope(modelName: string): string {
  instanceCounter += 1;
  return `${modelName}_${instanceCounter}`;
}

/** What every scope of one model shares. */
interface ScopeRoot {
  /** The process-unique TF.js name prefix. */
  readonly prefix: string;
  readonly random: Random;
  readonly names: Set<string>;
}

/**
 * Where a model's weights are made, in the spirit of tfjs-layers' `addWeight`: one seeded
 * generator that every initialiser draws from in creation order, one naming scheme
 * (`encoder/0/w`: the path of nested scopes, then the weight), and one list each of trainable
 * variables (the optimiser's) and state variables (updated by the model itself, e.g. batch-norm
 * running statistics). Networks take a child scope and add their weights through it.
 */
export class ParameterScope {
  private readonly trainable: NamedVariable[] = [];
  private readonly state: NamedVariable[] = [];

  private constructor(
    private readonly root: ScopeRoot,
    /** This scope's path inside the model, e.g. `encoder`; empty at the root. */
    readonly path: string,
    private readonly parent?: ParameterScope,
  ) {}

  /** The root scope of a new model named `modelName` whose initial weights are drawn from `seed`. */
  static create(modelName: string, seed: number): ParameterScope {
    return new ParameterScope({ prefix: uniqueScope(modelName), random: new Random(seed), names: new Set() }, '');
  }

  /**
   * A scope nested under this one: weights made through it are named `path/name/...` and are
   * listed by it and by every scope above it (two children of the same name share the path but
   * list only their own weights).
   */
  child(name: string): ParameterScope {
    if (name === '' || name.startsWith('/') || name.endsWith('/')) throw new Error(`a scope name must be non-empty without leading or trailing '/', got "${name}"`);
    return new ParameterScope(this.root, this.qualify(name), this);
  }

  /**
   * A scope at this same path that lists only the weights made through it (and its children),
   * which also join this scope's lists: a network makes its weights through its own group, so
   * that its variable lists are exactly its weights whatever else the caller's scope holds.
   */
  group(): ParameterScope {
    return new ParameterScope(this.root, this.path, this);
  }

  /** The generator the initialisers draw from (shared by the whole model). */
  get random(): Random {
    return this.root.random;
  }

  /**
   * Makes a variable of `shape` named `name` in this scope, initialised by `init`. Trainable
   * variables join the optimiser's list; others (`trainable: false`) the model's state. A name
   * used twice in one model is an error.
   */
  addWeight(name: string, shape: readonly number[], init: Initializer, options: { trainable?: boolean } = {}): tf.Variable {
    const full = this.qualify(name);
    if (this.root.names.has(full)) throw new Error(`weight "${full}" already exists in this model`);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 1)) throw new Error(`weight "${full}": shape must hold positive integers, got [${shape.join(', ')}]`);
    const trainable = options.trainable ?? true;
    const values = (): tf.Tensor => {
      switch (init.kind) {
        case 'glorotUniform':
          return tf.tensor(glorotUniform(shape.reduce((a, b) => a * b, 1), init.fanIn, init.fanOut, this.root.random), [...shape]);
        case 'uniform': {
          if (!(init.limit > 0 && Number.isFinite(init.limit))) throw new Error(`weight "${full}": a uniform initialiser needs a limit > 0, got ${init.limit}`);
          return tf.tensor(uniformValues(shape.reduce((a, b) => a * b, 1), init.limit, this.root.random), [...shape]);
        }
        case 'zeros':
          return tf.zeros([...shape]);
        case 'ones':
          return tf.ones([...shape]);
      }
    };
    // tidy frees the initial tensor; the variable keeps its own reference to the values.
    const variable = tf.tidy(() => tf.variable(values(), trainable, `${this.root.prefix}/${full}`));
    this.root.names.add(full);
    for (let s: ParameterScope | undefined = this; s !== undefined; s = s.parent) (trainable ? s.trainable : s.state).push({ name: full, variable });
    return variable;
  }

  /** The trainable variables made through this scope and its children, in creation order. */
  get trainableVariables(): readonly NamedVariable[] {
    return this.trainable;
  }

  /** The state variables made through this scope and its children, in creation order. */
  get stateVariables(): readonly NamedVariable[] {
    return this.state;
  }

  private qualify(name: string): string {
    return this.path === '' ? name : `${this.path}/${name}`;
  }
}
