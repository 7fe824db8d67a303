import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { loadMnist } from '../../src/data/mnist';
import { subset } from '../../src/data/dataset';
import { accuracy, predictClasses, reconstructionMse } from '../../src/evaluation/metrics';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import type { LossTerms, TrainableModel, TrainBatch } from '../../src/models/model';
import { MlpClassifier } from '../../src/models/mlp-classifier';
import type { NamedVariable } from '../../src/nn/dense';
import { evaluateLoss, NonFiniteLossError, train } from '../../src/training/trainer';
import { FileDataset, writeDatasetFiles } from '../../src/data/dataset-file';
import { kernelWeights } from '../../src/losses';
import { trainInterrupted } from '../support/interrupted-run';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-train-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const digits = (count: number, offset = 0) => subset(loadMnist('test'), Array.from({ length: count }, (_, i) => i + offset));

/** A one-parameter model: training pulls w towards `target`, validation measures the distance to `validationTarget`. */
class ToyModel implements TrainableModel {
  readonly name = 'toy';
  readonly config = { target: 1 };
  readonly w = tf.variable(tf.scalar(0), true);
  readonly namedVariables: NamedVariable[] = [{ name: 'w', variable: this.w }];
  readonly trainableVariables = [this.w];
  calls = 0;
  constructor(private readonly validationTarget = 0.2, private readonly nanAtCall = -1) {}
  computeLoss(batch: TrainBatch, options?: { training?: boolean }): LossTerms {
    return tf.tidy(() => {
      const training = options?.training ?? false;
      if (training) this.calls += 1;
      const target = training ? 1 : this.validationTarget;
      let total = this.w.sub(target).square().add(batch.x.mean().mul(0)) as tf.Scalar;
      if (training && this.calls === this.nanAtCall) total = total.add(tf.scalar(Number.NaN)) as tf.Scalar;
      return { total, distance: total.sqrt() as tf.Scalar };
    });
  }
  dispose(): void {
    this.w.dispose();
  }
}

const toyData = (n: number) => makeDataset({ x: Float32Array.from({ length: n }, (_, i) => i), featureShape: [1] });

describe('train', () => {
  it('overfits a tiny set: an MLP learns random labels of 24 digits, an autoencoder drives its loss down', async () => {
    const data = digits(24);
    const labels = Int32Array.from({ length: 24 }, (_, i) => (i * 7) % 3);
    const random = makeDataset({ x: data.x, featureShape: [784], labels, classCount: 3 });
    const mlp = new MlpClassifier({ inputDim: 784, hiddenSizes: [32], classCount: 3, seed: 1 });
    const result = await train(mlp, { train: random, epochs: 60, batchSize: 8, learningRate: 0.01, seed: 1, progress: false });
    assert.equal(accuracy(await predictClasses(mlp, random), labels), 1);
    assert.ok(result.history[59].train.total < 0.05, `final loss ${result.history[59].train.total}`);
    mlp.dispose();

    const ae = new DenseAutoencoder({ inputDim: 784, hiddenSizes: [32], latentDim: 8, seed: 2 });
    const before = await reconstructionMse(ae, data);
    const aeResult = await train(ae, { train: data, epochs: 40, batchSize: 8, learningRate: 0.003, seed: 1, progress: false });
    const afterMse = await reconstructionMse(ae, data);
    assert.ok(afterMse < before / 4, `reconstruction MSE ${before} -> ${afterMse}`);
    assert.ok(aeResult.history[39].train.reconstruction < aeResult.history[0].train.reconstruction / 2);
    ae.dispose();
  });

  it('validates every epoch, stops early with patience and restores the best weights', async () => {
    const model = new ToyModel(0.2);
    const epochs: number[] = [];
    const result = await train(model, {
      train: toyData(4),
      validation: toyData(2),
      epochs: 200,
      batchSize: 4,
      learningRate: 0.05,
      optimizer: 'sgd',
      patience: 3,
      seed: 1,
      progress: false,
      callbacks: { onEpochEnd: (log) => void epochs.push(log.epoch) },
    });
    assert.ok(result.stoppedEarly);
    assert.equal(result.history.length, result.bestEpoch + 3);
    assert.deepEqual(epochs, result.history.map((h) => h.epoch));
    const w = model.w.dataSync()[0];
    assert.ok(Math.abs(w - 0.2) < 0.06, `restored w = ${w}`);
    assert.ok(Math.abs(result.bestLoss - (w - 0.2) ** 2) < 1e-6);
    assert.equal(typeof result.history[0].validation?.distance, 'number');
    model.dispose();
  });

  it('stops on a NaN loss with an error naming the epoch and batch, before applying that update', async () => {
    const model = new ToyModel(0.2, 6);
    let wBefore = Number.NaN;
    await assert.rejects(
      train(model, {
        train: toyData(8),
        epochs: 5,
        batchSize: 4,
        seed: 1,
        progress: false,
        callbacks: { onBatchEnd: () => void (wBefore = model.w.dataSync()[0]) },
      }),
      (e: Error) => e instanceof NonFiniteLossError && /"total" is NaN at epoch 3, batch 2/.test(e.message),
    );
    assert.equal(model.w.dataSync()[0], wBefore);
    model.dispose();
  });

  it('leaves tf.memory().numTensors unchanged per training step and after the run', async () => {
    const ae = new DenseAutoencoder({ inputDim: 784, hiddenSizes: [16], latentDim: 2, seed: 3 });
    const counts: number[] = [];
    const start = tf.memory().numTensors;
    await train(ae, {
      train: digits(40),
      validation: digits(16, 40),
      epochs: 2,
      batchSize: 8,
      seed: 1,
      progress: false,
      callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) },
    });
    assert.equal(counts.length, 10);
    // Constant step to step; from epoch 2 on the trainer also holds the best weights (one copy per variable).
    const firstEpoch = counts.slice(0, 5);
    const secondEpoch = counts.slice(5);
    assert.ok(firstEpoch.every((c) => c === counts[0]) && secondEpoch.every((c) => c === counts[5]), `tensors per step: ${counts.join(',')}`);
    assert.equal(counts[5] - counts[0], ae.trainableVariables.length);
    assert.equal(tf.memory().numTensors, start);
    ae.dispose();
  });

  it('checks its options', async () => {
    const model = new ToyModel();
    await assert.rejects(train(model, { train: toyData(4), epochs: 0, batchSize: 2, seed: 1 }), /epochs must be a positive integer, got 0/);
    const data = toyData(4);
    await assert.rejects(train(model, { train: data, validation: data, epochs: 1, batchSize: 2, seed: 1 }), /validation set is the training set/);
    await assert.rejects(train(model, { train: data, epochs: 1, batchSize: 2, seed: 1, monitor: 'kl', progress: false }), /monitor "kl" is not a loss term of toy/);
    model.dispose();
  });
});

describe('checkpoints', () => {
  const config = { inputDim: 784, hiddenSizes: [16], latentDim: 4, seed: 5 };
  const data = digits(48);
  const validation = digits(16, 48);
  const options = { train: data, validation, epochs: 4, batchSize: 16, seed: 9, learningRate: 0.003, progress: false };

  it('resumes an interrupted run to exactly the weights and history of an uninterrupted one', async () => {
    const whole = new DenseAutoencoder(config);
    const full = await train(whole, options);
    const ckpt = path.join(dir, 'resume');
    const first = new DenseAutoencoder(config);
    await trainInterrupted(first, options, ckpt, 2);
    first.dispose();
    const second = new DenseAutoencoder(config);
    const resumed = await train(second, { ...options, checkpointDir: ckpt });
    assert.equal(resumed.startEpoch, 3);
    assert.deepEqual(
      resumed.history.map((h) => [h.train, h.validation]),
      full.history.map((h) => [h.train, h.validation]),
    );
    assert.equal(resumed.bestEpoch, full.bestEpoch);
    whole.namedVariables.forEach((v, i) => assert.deepEqual([...second.namedVariables[i].variable.dataSync()], [...v.variable.dataSync()], v.name));
    whole.dispose();
    second.dispose();
  });

  it('refuses a checkpoint from another run, another model or one that is corrupt', async () => {
    const ckpt = path.join(dir, 'strict');
    const model = new DenseAutoencoder(config);
    await train(model, { ...options, epochs: 1, checkpointDir: ckpt });
    await assert.rejects(train(model, { ...options, seed: 10, checkpointDir: ckpt }), /written by a run with .*"seed":9.*this run has seed 10/);
    const other = new DenseAutoencoder({ ...config, latentDim: 3 });
    await assert.rejects(train(other, { ...options, checkpointDir: ckpt }), /was written for config .*"latentDim":4.*this model has config .*"latentDim":3/);
    other.dispose();
    const bin = fs.readdirSync(ckpt).filter((f) => f.endsWith('.bin'));
    assert.equal(bin.length, 1, 'older data files are removed');
    const binPath = path.join(ckpt, bin[0]);
    const bytes = fs.readFileSync(binPath);
    bytes[100] ^= 0xff;
    fs.writeFileSync(binPath, bytes);
    await assert.rejects(train(model, { ...options, checkpointDir: ckpt }), /is corrupt: .*does not match its SHA-256/);
    fs.writeFileSync(binPath, bytes.subarray(0, 1000));
    await assert.rejects(train(model, { ...options, checkpointDir: ckpt }), /is corrupt: .* has 1000 bytes, the manifest says/);
    fs.writeFileSync(path.join(ckpt, 'checkpoint.json'), '{"format": "replearn-checkpoint", "vers');
    await assert.rejects(train(model, { ...options, checkpointDir: ckpt }), /manifest is not valid JSON/);
    // resume: false starts afresh and overwrites
    const fresh = await train(model, { ...options, epochs: 1, checkpointDir: ckpt, resume: false });
    assert.equal(fresh.startEpoch, 1);
    assert.ok(fs.readdirSync(ckpt).every((f) => !f.includes('.tmp-')), 'no temporary files left');
    model.dispose();
  });
});

describe('resuming a finished run', () => {
  it('trains nothing more and restores the best weights', async () => {
    const ckpt = path.join(dir, 'finished');
    const model = new ToyModel(0.2);
    const options = { train: toyData(4), validation: toyData(2), epochs: 3, batchSize: 4, seed: 1, progress: false, optimizer: 'sgd' as const, learningRate: 0.05 };
    const first = await train(model, { ...options, checkpointDir: ckpt });
    const w = model.w.dataSync()[0];
    const again = new ToyModel(0.2);
    const second = await train(again, { ...options, checkpointDir: ckpt });
    assert.equal(second.startEpoch, 4);
    assert.equal(second.bestEpoch, first.bestEpoch);
    assert.equal(second.history.length, 3);
    assert.equal(again.w.dataSync()[0], w);
    model.dispose();
    again.dispose();
  });
});

describe('L2 regularisation, streamed data and other optimisers', () => {
  const config = { inputDim: 784, hiddenSizes: [16], latentDim: 4, seed: 5 };
  const data = digits(40);
  const validation = digits(16, 40);

  it('adds the term l2 = lambda * sum of squared weights to the total, in training and validation', async () => {
    const model = new DenseAutoencoder(config);
    const result = await train(model, { train: data, validation, epochs: 2, batchSize: 8, seed: 1, l2: 1e-3, restoreBestWeights: false, progress: false });
    const last = result.history[1].validation!;
    const penalty = 1e-3 * kernelWeights(model.namedVariables).reduce((s, w) => s + w.square().sum().dataSync()[0], 0);
    assert.ok(Math.abs(last.l2 - penalty) < 1e-5 * penalty, `l2 ${last.l2} vs ${penalty}`);
    assert.ok(result.history[1].train.l2 > 0);
    assert.ok(Math.abs(last.total - last.reconstruction - last.l2) < 1e-3, 'total = reconstruction + l2');
    const again = await evaluateLoss(model, validation, { l2: 1e-3 });
    assert.ok(Math.abs(again.l2 - penalty) < 1e-5 * penalty);
    await assert.rejects(train(model, { train: data, epochs: 1, batchSize: 8, seed: 1, l2: -1, progress: false }), /l2 must be a number >= 0, got -1/);
    model.dispose();
  });

  it('trains on data streamed from disk exactly as on the same data in memory', async () => {
    const paths = writeDatasetFiles(data, { x: path.join(dir, 'stream-x.idx'), labels: path.join(dir, 'stream-labels.idx') });
    const file = FileDataset.open({ ...paths, classCount: 10 });
    const a = new DenseAutoencoder(config);
    const b = new DenseAutoencoder(config);
    const options = { validation, epochs: 2, batchSize: 8, seed: 3, progress: false };
    const inMemory = await train(a, { ...options, train: data });
    const streamed = await train(b, { ...options, train: file });
    assert.deepEqual(streamed.history.map((h) => [h.train, h.validation]), inMemory.history.map((h) => [h.train, h.validation]));
    assert.ok(file.bytesRead >= 2 * 40 * 784 * 4);
    await assert.rejects(train(b, { ...options, train: file, validation: file }), /the validation set is the training set/);
    file.close();
    a.dispose();
    b.dispose();
  });

  it('resumes adagrad and adamax runs exactly, and refuses a checkpoint with another l2', async () => {
    for (const optimizer of ['adagrad', 'adamax'] as const) {
      const options = { train: data, validation, epochs: 3, batchSize: 8, seed: 9, learningRate: 0.01, optimizer, progress: false };
      const whole = new DenseAutoencoder(config);
      const full = await train(whole, options);
      const ckpt = path.join(dir, `resume-${optimizer}`);
      const first = new DenseAutoencoder(config);
      await train(first, { ...options, epochs: 1, checkpointDir: ckpt });
      const second = new DenseAutoencoder(config);
      const resumed = await train(second, { ...options, checkpointDir: ckpt });
      assert.equal(resumed.startEpoch, 2);
      assert.deepEqual(resumed.history.map((h) => h.validation), full.history.map((h) => h.validation), optimizer);
      await assert.rejects(train(second, { ...options, l2: 0.1, checkpointDir: ckpt }), /this run has .*l2 0\.1/);
      [whole, first, second].forEach((m) => m.dispose());
    }
  });
});

/**
 * A toy model whose training loss throws at the `throwAtCall`-th training step, before any op (as
 * an argument check does: tfjs itself keeps the tensors its gradient tape saved for an op of a
 * forward pass that then throws).
 */
class ThrowingModel extends ToyModel {
  constructor(private readonly throwAtCall: number) {
    super();
  }
  override computeLoss(batch: TrainBatch, options?: { training?: boolean }): LossTerms {
    if ((options?.training ?? false) && this.calls + 1 === this.throwAtCall) {
      this.calls += 1;
      throw new Error(`computeLoss failed at call ${this.calls}`);
    }
    return super.computeLoss(batch, options);
  }
}

/** A toy model whose validation loss is NaN at its `nanAtValidation`-th evaluation. */
class NanValidationModel extends ToyModel {
  validations = 0;
  constructor(private readonly nanAtValidation: number) {
    super(0.2);
  }
  override computeLoss(batch: TrainBatch, options?: { training?: boolean }): LossTerms {
    const terms = super.computeLoss(batch, options);
    if (options?.training ?? false) return terms;
    this.validations += 1;
    return this.validations === this.nanAtValidation ? { ...terms, total: terms.total.add(tf.scalar(Number.NaN)) as tf.Scalar } : terms;
  }
}

describe('train: classes, leaks and non-finite losses', () => {
  it('refuses a dataset whose classCount or labels do not fit the classifier, naming the label and the class count', async () => {
    const mlp = new MlpClassifier({ inputDim: 2, hiddenSizes: [4], classCount: 3, seed: 1 });
    const x = Float32Array.from({ length: 8 }, (_, i) => i / 8);
    const eightClasses = makeDataset({ x, featureShape: [2], labels: Int32Array.from([0, 1, 2, 7]) });
    const options = { epochs: 1, batchSize: 2, seed: 1, progress: false };
    await assert.rejects(train(mlp, { ...options, train: eightClasses }), /the training set has classCount 8, but model mlp-classifier has classCount 3/);
    const fits = makeDataset({ x: x.slice(), featureShape: [2], labels: Int32Array.from([0, 1, 2, 0]), classCount: 3 });
    await assert.rejects(train(mlp, { ...options, train: fits, validation: eightClasses }), /the validation set has classCount 8, but model mlp-classifier has classCount 3/);
    const noClassCount = { x, featureShape: [2], count: 4, labels: Int32Array.from([0, 1, 2, 7]) };
    await assert.rejects(train(mlp, { ...options, train: noClassCount }), /the training set's label 3 is 7, outside the classes 0\.\.2 of model mlp-classifier \(classCount 3\)/);
    await assert.rejects(evaluateLoss(mlp, noClassCount), /the dataset's label 3 is 7, outside the classes 0\.\.2/);
    await train(mlp, { ...options, train: fits });
    mlp.dispose();
  });

  it('frees the batch when computeLoss throws: tf.memory().numTensors is back where it was', async () => {
    const model = new ThrowingModel(3);
    const data = makeDataset({ x: Float32Array.from({ length: 8 }, (_, i) => i), featureShape: [1], labels: Int32Array.from({ length: 8 }, (_, i) => i % 2) });
    const start = tf.memory().numTensors;
    // Call 3 is the first batch of epoch 2: the optimiser's state and the best weights exist by then.
    await assert.rejects(train(model, { train: data, epochs: 2, batchSize: 4, seed: 1, progress: false }), /computeLoss failed at call 3/);
    assert.equal(tf.memory().numTensors, start);
    model.dispose();
  });

  it('says the data, not the learning rate, is at fault when a NaN input makes the loss NaN', async () => {
    const data = toyData(8);
    (data.x as Float32Array)[5] = Number.NaN;
    const model = new ToyModel();
    await assert.rejects(train(model, { train: data, epochs: 1, batchSize: 4, seed: 1, progress: false }), (e: Error) => {
      assert.ok(e instanceof NonFiniteLossError, e.message);
      assert.match(e.message, /loss term "total" is NaN at epoch 1, batch [12]: the training data hold NaN \(training example 5, value 0 of that example\), so this is not a learning-rate problem/);
      assert.doesNotMatch(e.message, /learningRate/);
      assert.deepEqual(e.input, { example: 5, position: 0, value: Number.NaN });
      return true;
    });
    model.dispose();
  });

  it('gives a NaN validation loss its own message: the epoch, the weights after it, and the validation data when they hold the NaN', async () => {
    const model = new NanValidationModel(3);
    let wAfterUpdates = Number.NaN;
    await assert.rejects(
      train(model, { train: toyData(4), validation: toyData(2), epochs: 5, batchSize: 4, seed: 1, progress: false, callbacks: { onBatchEnd: () => void (wAfterUpdates = model.w.dataSync()[0]) } }),
      (e: Error) => {
        assert.ok(e instanceof NonFiniteLossError && e.stage === 'validation', e.message);
        assert.match(e.message, /^validation loss term "total" is NaN after epoch 3: every training batch's loss was finite; try a lower learningRate\. Training stopped \(the model holds the weights after epoch 3's updates, not the best ones of epoch 2\)$/);
        return true;
      },
    );
    assert.equal(model.w.dataSync()[0], wAfterUpdates, 'the weights are those after epoch 3');
    model.dispose();

    const validation = toyData(3);
    (validation.x as Float32Array)[1] = Number.POSITIVE_INFINITY;
    const plain = new ToyModel();
    await assert.rejects(
      train(plain, { train: toyData(4), validation, epochs: 2, batchSize: 4, seed: 1, progress: false }),
      /validation loss term "total" is NaN after epoch 1: the validation data hold Infinity \(validation example 1, value 0 of that example\), so this is not a learning-rate problem: remove or repair that example\. Training stopped \(the model holds the weights after epoch 1's updates\)$/,
    );
    plain.dispose();
  });
});
