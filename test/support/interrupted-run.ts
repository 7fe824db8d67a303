import assert from 'node:assert/strict';
import type { TrainableModel } from '../../src/models/model';
import { train, type TrainOptions } from '../../src/training/trainer';

/**
 * Trains `model` with checkpoints in `checkpointDir` and interrupts the run at the end of epoch
 * `epoch` (after `onEpochEnd`, when given, has run), so that a later `train` resumes from there.
 */
export async function trainInterrupted(model: TrainableModel, options: TrainOptions, checkpointDir: string, epoch: number, onEpochEnd?: () => void): Promise<void> {
  await assert.rejects(
    train(model, {
      ...options,
      checkpointDir,
      callbacks: {
        onEpochEnd: (log) => {
          onEpochEnd?.();
          if (log.epoch === epoch) throw new Error('interrupted');
        },
      },
    }),
    /interrupted/,
  );
}
