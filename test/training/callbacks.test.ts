import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import type { LossOptions, LossTerms, TrainableModel, TrainBatch } from '../../src/models/model';
import type { TrainingCallback, TrainingContext } from '../../src/training/callbacks';
import { learningRateSchedule } from '../../src/training/callbacks';
import { hasCheckpoint, loadCheckpoint } from '../../src/training/checkpoint';
import { EarlyStopping } from '../../src/training/early-stopping';
import { TrainingProgressCallback } from '../../src/training/progress';
import { NonFiniteLossError, train } from '../../src/training/trainer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-callbacks-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What the toy model saw: each computeLoss call's options, and the calls of its onEpochEnd. */
type Event = { kind: 'loss'; options: LossOptions } | { kind: 'epochEnd'; epoch: number };

/**
 * A one-parameter model: training pulls w towards 1 with the loss (w - 1)^2, validation measures
 * (w - 0.2)^2. With SGD at rate r and one batch per epoch, w after epoch k is 1 - (1 - 2r)^k.
 */
class ToyModel implements TrainableModel {
  readonly name = 'toy';
  readonly config = { target: 1 };
  readonly w = tf.variable(tf.scalar(0), true);
  readonly namedVariables = [{ name: 'w', variable: this.w }];
  readonly trainableVariables = [this.w];
  readonly events: Event[] = [];
  /** Runs at the model's onEpochEnd (after the event is recorded). */
  epochEndHook?: (epoch: number) => void;

  computeLoss(batch: TrainBatch, options: LossOptions = {}): LossTerms {
    this.events.push({ kind: 'loss', options: { ...options } });
    return tf.tidy(() => {
      const target = (options.training ?? false) ? 1 : 0.2;
      const total = this.w.sub(target).square().add(batch.x.mean().mul(0)) as tf.Scalar;
      return { total, distance: total.sqrt() as tf.Scalar };
    });
  }

  onEpochEnd(epoch: number): void {
    this.events.push({ kind: 'epochEnd', epoch });
    this.epochEndHook?.(epoch);
  }

  get value(): number {
    return this.w.dataSync()[0];
  }

  dispose(): void {
    this.w.dispose();
  }
}

const toyData = (n: number) => makeDataset({ x: Float32Array.from({ length: n }, (_, i) => i), featureShape: [1] });
/** One batch of 4 per epoch, plain SGD: the weights follow the closed form above. */
const base = { train: toyData(4), validation: toyData(2), batchSize: 4, seed: 1, optimizer: 'sgd' as const, learningRate: 0.05, progress: false };

describe('EarlyStopping', () => {
  // w after epoch k is 1 - 0.9^k: 0.1, 0.19, 0.271, 0.3439; validation (w - 0.2)^2 is best at epoch 2.
  const bestW = 1 - 0.9 ** 2;

  it('stops `patience` epochs after the best one and puts back the best weights, from train options or as a callback', async () => {
    const viaOptions = new ToyModel();
    const byOptions = await train(viaOptions, { ...base, epochs: 50, patience: 2 });
    assert.equal(byOptions.history.length, 4, 'stopped after epoch 4: two epochs without improvement after epoch 2');
    assert.equal(byOptions.bestEpoch, 2);
    assert.equal(byOptions.stoppedEarly, true);
    assert.deepEqual(
      byOptions.history.map((h) => h.improved),
      [true, true, false, false],
    );
    assert.ok(Math.abs(viaOptions.value - bestW) < 1e-6, `restored w ${viaOptions.value}, best ${bestW}`);

    // The same callback given by hand, with the built-in one neither stopping nor restoring.
    const byHand = new ToyModel();
    const stopping = new EarlyStopping({ patience: 2, monitor: 'distance' });
    const result = await train(byHand, { ...base, epochs: 50, restoreBestWeights: false, callbacks: [stopping] });
    assert.equal(result.history.length, 4);
    assert.equal(result.stoppedEarly, true);
    assert.equal(stopping.bestEpoch, 2);
    assert.ok(Math.abs(stopping.bestLoss - Math.abs(bestW - 0.2)) < 1e-6, `best distance ${stopping.bestLoss}`);
    assert.ok(Math.abs(byHand.value - bestW) < 1e-6, `restored w ${byHand.value}, best ${bestW}`);
    assert.equal(stopping.bestWeights, undefined, 'the kept copies are freed at the end');

    // restoreBestWeights false keeps the last weights.
    const last = new ToyModel();
    await train(last, { ...base, epochs: 50, patience: 2, restoreBestWeights: false });
    assert.ok(Math.abs(last.value - (1 - 0.9 ** 4)) < 1e-6, `last w ${last.value}`);
    [viaOptions, byHand, last].forEach((m) => m.dispose());
  });

  it('refuses bad settings with a message naming them', () => {
    assert.throws(() => new EarlyStopping({ patience: 0 }), /patience must be a positive integer, got 0/);
    assert.throws(() => new EarlyStopping({ minDelta: -1 }), /minDelta must be a finite number >= 0, got -1/);
  });
});

describe('learningRateSchedule', () => {
  it('sets the rate per epoch: rate 0 leaves the weights unchanged, a positive rate then moves them', async () => {
    const model = new ToyModel();
    const seen: { epoch: number; w: number; rate: number }[] = [];
    const record: TrainingCallback = { onEpochEnd: (log, context) => void seen.push({ epoch: log.epoch, w: model.value, rate: context.learningRate }) };
    const rates = [0, 0.05, 0, 0.25];
    await train(model, { ...base, epochs: 4, restoreBestWeights: false, callbacks: [learningRateSchedule((epoch) => rates[epoch - 1]), record] });
    assert.deepEqual(
      seen.map((s) => s.rate),
      rates,
    );
    // Epoch 1 at rate 0: w stays 0; epoch 2 at 0.05: w = 0 - 0.05 * 2 * (0 - 1) = 0.1; epoch 3 at 0: stays; epoch 4 at 0.25: w = 0.1 + 0.25 * 2 * 0.9 = 0.55.
    assert.equal(seen[0].w, 0);
    assert.ok(Math.abs(seen[1].w - 0.1) < 1e-7, `w ${seen[1].w}`);
    assert.equal(seen[2].w, seen[1].w);
    assert.ok(Math.abs(seen[3].w - 0.55) < 1e-6, `w ${seen[3].w}`);
    model.dispose();
  });

  it('names the epoch when the schedule gives a rate that is negative or not a number', async () => {
    for (const bad of [-1, Number.NaN]) {
      const model = new ToyModel();
      await assert.rejects(
        train(model, { ...base, epochs: 3, callbacks: [learningRateSchedule((epoch) => (epoch === 2 ? bad : 0.1))] }),
        new RegExp(`learningRateSchedule: the schedule gave learning rate ${bad} for epoch 2; it must be a finite number >= 0`),
      );
      assert.equal(model.events.filter((e) => e.kind === 'epochEnd').length, 1, 'epoch 2 did not train');
      model.dispose();
    }
  });
});

describe('the loop', () => {
  it('passes the epoch (from 1) to computeLoss in training, and no epoch in evaluation', async () => {
    const model = new ToyModel();
    // Two batches of 2 per epoch.
    await train(model, { ...base, batchSize: 2, epochs: 3 });
    const losses = model.events.flatMap((e) => (e.kind === 'loss' ? [e.options] : []));
    const training = losses.filter((o) => o.training === true);
    const evaluation = losses.filter((o) => o.training !== true);
    assert.deepEqual(
      training.map((o) => [o.epoch, o.step]),
      [
        [1, 0],
        [1, 1],
        [2, 2],
        [2, 3],
        [3, 4],
        [3, 5],
      ],
    );
    assert.equal(evaluation.length, 3);
    assert.ok(
      evaluation.every((o) => !('epoch' in o) && o.step === 0),
      `evaluation options ${JSON.stringify(evaluation)}`,
    );
    model.dispose();
  });

  it("calls the model's onEpochEnd once per epoch, in order, after the epoch's steps and before validation and the checkpoint", async () => {
    const ckpt = path.join(dir, 'epoch-end');
    const model = new ToyModel();
    const checkpointEpochs: number[] = [];
    model.epochEndHook = () => void checkpointEpochs.push(hasCheckpoint(ckpt) ? (loadCheckpoint(ckpt).meta.trainer as { epoch: number }).epoch : 0);
    await train(model, { ...base, epochs: 3, checkpointDir: ckpt });
    const trace = model.events.map((e) => (e.kind === 'epochEnd' ? `end ${e.epoch}` : e.options.training === true ? `step ${e.options.epoch}` : 'validate'));
    assert.deepEqual(trace, ['step 1', 'end 1', 'validate', 'step 2', 'end 2', 'validate', 'step 3', 'end 3', 'validate']);
    assert.deepEqual(checkpointEpochs, [0, 1, 2], 'at the end of epoch e the checkpoint on disk is still that of epoch e - 1');
    assert.equal((loadCheckpoint(ckpt).meta.trainer as { epoch: number }).epoch, 3);
    model.dispose();
  });

  it('lets a user callback stop the run: after the epoch in which it asks, with that epoch validated and saved', async () => {
    const model = new ToyModel();
    const result = await train(model, {
      ...base,
      epochs: 10,
      callbacks: { onEpochEnd: (log, context) => (log.epoch === 2 ? context.stop() : undefined) },
    });
    assert.equal(result.history.length, 2);
    assert.equal(result.stoppedEarly, true);

    // Asked mid-epoch (at batch 1 of 2 of epoch 3), the epoch still runs to its end and is checkpointed.
    const ckpt = path.join(dir, 'user-stop');
    const batches: string[] = [];
    const stopper: TrainingCallback = {
      onBatchEnd: (log, context) => {
        batches.push(`${log.epoch}.${log.batch}`);
        if (log.epoch === 3 && log.batch === 1) context.stop();
      },
    };
    const midEpoch = new ToyModel();
    const stopped = await train(midEpoch, { ...base, batchSize: 2, epochs: 10, checkpointDir: ckpt, callbacks: [stopper] });
    assert.deepEqual(batches, ['1.1', '1.2', '2.1', '2.2', '3.1', '3.2']);
    assert.equal(stopped.history.length, 3);
    assert.equal(typeof stopped.history[2].validation?.total, 'number');
    assert.equal((loadCheckpoint(ckpt).meta.trainer as { epoch: number }).epoch, 3);
    [model, midEpoch].forEach((m) => m.dispose());
  });

  it('runs every onTrainEnd, told whether the run failed, and frees the best weights either way', async () => {
    const ends: boolean[] = [];
    const model = new ToyModel();
    model.epochEndHook = (epoch) => {
      if (epoch === 2) tf.tidy(() => model.w.assign(tf.scalar(Number.NaN)));
    };
    const start = tf.memory().numTensors;
    await assert.rejects(
      train(model, { ...base, epochs: 5, callbacks: [{ onTrainEnd: (_context: TrainingContext, failed: boolean) => void ends.push(failed) }] }),
      (e: Error) => e instanceof NonFiniteLossError && e.stage === 'validation' && e.epoch === 2,
    );
    assert.equal(tf.memory().numTensors, start, 'no tensor left behind');
    const fine = new ToyModel();
    await train(fine, { ...base, epochs: 2, callbacks: [{ onTrainEnd: (_context, failed) => void ends.push(failed) }] });
    assert.deepEqual(ends, [true, false]);
    [model, fine].forEach((m) => m.dispose());
  });

  it('shows the progress line through any output: batch lines, epoch lines and the final line', async () => {
    const lines: string[] = [];
    const output = { update: (text: string) => void lines.push(text), done: (text: string) => void lines.push(`done: ${text}`) };
    const model = new ToyModel();
    await train(model, { ...base, epochs: 2, callbacks: [new TrainingProgressCallback({ output: () => output })] });
    assert.equal(lines.length, 5);
    assert.match(lines[0], /^epoch 1\/2 {2}batch 1\/1 {2}loss 1\.000 /);
    assert.match(lines[1], /^epoch 1\/2 {2}train loss 1\.000 {2}validation loss 0\.01000 /);
    assert.match(lines[4], /^done: trained epochs 1-2 of 2 in \d+s$/);
    model.dispose();
  });
});
