import type { BatchOptions, HostBatch } from '../data/batches';
import { batchPlans } from '../data/batches';
import { featureSize } from '../data/dataset';
import type { BatchSource } from '../data/dataset-file';
import { batchesOf } from '../data/dataset-file';

/**
 * Where `NonFiniteLossError` found the loss: a training batch's loss (`batch`), the validation
 * loss after an epoch (`validation`), or an epoch's mean training loss (`epoch`).
 */
export type NonFiniteLossStage = 'batch' | 'validation' | 'epoch';

/** A NaN or infinite input value: which example of its dataset, and where within the example. */
export interface NonFiniteInput {
  /** Position of the example in its dataset (the training or validation set), from 0. */
  example: number;
  /** Position of the value within the example, row-major over `featureShape`, from 0. */
  position: number;
  value: number;
}

/** What `NonFiniteLossError` knows besides the epoch, batch, term and value. */
export interface NonFiniteLossDetails {
  /** Default `batch`. */
  stage?: NonFiniteLossStage;
  /** The first NaN/Inf of the inputs behind the loss, when they hold one: then the data is at fault, not the learning rate. */
  input?: NonFiniteInput;
  /** For `validation` and `epoch`: the epoch whose weights were kept as the best so far (and are not restored); 0 or absent when none are kept. */
  bestEpoch?: number;
}

/**
 * Raised when a loss becomes NaN or infinite; names the epoch, the batch (for `validation` and
 * `epoch`, the epoch's last batch), the term, which weights the model holds, and a NaN/Inf in the
 * inputs when there is one.
 */
export class NonFiniteLossError extends Error {
  readonly stage: NonFiniteLossStage;
  readonly input?: NonFiniteInput;

  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly term: string,
    readonly value: number,
    details: NonFiniteLossDetails = {},
  ) {
    super(nonFiniteLossMessage(epoch, batch, term, value, details));
    this.name = 'NonFiniteLossError';
    this.stage = details.stage ?? 'batch';
    this.input = details.input;
  }
}

function nonFiniteLossMessage(epoch: number, batch: number, term: string, value: number, details: NonFiniteLossDetails): string {
  const stage = details.stage ?? 'batch';
  const set = stage === 'validation' ? 'validation' : 'training';
  const input = details.input;
  const dataFault =
    input === undefined
      ? undefined
      : `the ${set} data hold ${input.value} (${set} example ${input.example}, value ${input.position} of that example), so this is not a learning-rate problem: remove or repair that example`;
  if (stage === 'batch') {
    return dataFault === undefined
      ? `loss term "${term}" is ${value} at epoch ${epoch}, batch ${batch}: training stopped (weights are those before this batch; the batch's inputs are finite, so the updates diverged: try a lower learningRate)`
      : `loss term "${term}" is ${value} at epoch ${epoch}, batch ${batch}: ${dataFault}. Training stopped (weights are those before this batch)`;
  }
  const best = details.bestEpoch ?? 0;
  const weights = `the model holds the weights after epoch ${epoch}'s updates${best > 0 ? `, not the best ones of epoch ${best}` : ''}`;
  const what = stage === 'validation' ? `validation loss term "${term}" is ${value} after epoch ${epoch}` : `mean training loss term "${term}" over epoch ${epoch} is ${value}`;
  const cause = dataFault ?? (stage === 'validation' ? `every training batch's loss was finite; try a lower learningRate` : `every batch's loss was finite, their sum overflowed`);
  return `${what}: ${cause}. Training stopped (${weights})`;
}

/** The first NaN or infinite value of `x` (examples of `size` values, row-major), with its example within `x`; undefined when all are finite. */
function firstNonFinite(x: Float32Array, size: number): NonFiniteInput | undefined {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return { example: Math.floor(i / size), position: i % size, value: x[i] };
  }
  return undefined;
}

/** The first NaN/Inf input of training batch `hb` (of the epoch `options` describe), with the example's position in `source`. */
export function nonFiniteInBatch(source: BatchSource, hb: HostBatch, options: BatchOptions): NonFiniteInput | undefined {
  const found = firstNonFinite(hb.x, featureSize(source));
  if (found === undefined) return undefined;
  for (const plan of batchPlans(source.count, options)) {
    if (plan.index === hb.index) return { ...found, example: plan.positions?.[found.example] ?? plan.start + found.example };
  }
  return found;
}

/** The first NaN/Inf input of `source`, read in order. */
export function nonFiniteInSource(source: BatchSource, batchSize: number): NonFiniteInput | undefined {
  for (const hb of batchesOf(source, { batchSize, shuffle: false })) {
    const found = firstNonFinite(hb.x, featureSize(source));
    if (found !== undefined) return { ...found, example: hb.index * batchSize + found.example };
  }
  return undefined;
}
