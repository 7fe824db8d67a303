import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import { makeDataset } from '../../src/data/dataset';
import { estimateLogLikelihood } from '../../src/evaluation/likelihood';
import { ConditionalVae } from '../../src/models/conditional-vae';
import { train } from '../../src/training/trainer';

before(async () => {
  await tf.setBackend('cpu');
});

/** Two classes of 20 values: class 0 bright in the first half, class 1 in the second, with noise. */
function halves(count: number, seed: number) {
  const random = new Random(seed);
  const x = new Float32Array(count * 20);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < 20; j++) x[i * 20 + j] = (j < 10) === (labels[i] === 0) ? 0.7 + 0.3 * random.next() : 0.3 * random.next();
  }
  return makeDataset({ x, featureShape: [20], labels, classCount: 2 });
}

describe('ConditionalVae', () => {
  it('reads the label in the encoder and the decoder: its weights see classCount more inputs', () => {
    const model = new ConditionalVae({ inputDim: 20, classCount: 3, hiddenSizes: [8], latentDim: 2, seed: 1 });
    const shapes = new Map(model.namedVariables.map((v) => [v.name, v.variable.shape]));
    assert.deepEqual(shapes.get('encoder/0/w'), [23, 8], [...shapes.keys()].join(', '));
    assert.deepEqual(shapes.get('decoder/0/w'), [5, 8]);
    const z = tf.zeros([2, 2]) as tf.Tensor2D;
    const a = model.decode(z, tf.tensor1d([0, 1], 'int32')).arraySync() as number[][];
    assert.notDeepEqual(a[0], a[1], 'the same code decodes differently for another label');
    assert.equal(model.config.classCount, 3);
  });

  it('refuses to run without labels, or with the wrong number, naming what needs them', () => {
    const model = new ConditionalVae({ inputDim: 20, classCount: 2, hiddenSizes: [8], latentDim: 2, seed: 1 });
    const x = tf.zeros([3, 20]);
    assert.throws(() => model.computeLoss({ x }), /conditional-vae: the encoder needs the labels \(int32 \[3\], classes 0..1\)/);
    assert.throws(() => model.sample(2, 1), /the decoder needs the labels/);
    assert.throws(() => model.encode(x, tf.tensor1d([0, 1], 'int32')), /one label per row: expected \[3\], got \[2\]/);
    assert.throws(() => new ConditionalVae({ inputDim: 20, classCount: 0, hiddenSizes: [], latentDim: 2, seed: 1 }), /classCount must be a positive integer/);
  });

  it('learns to draw the class it is asked for, and its likelihood reads the labels', async () => {
    const model = new ConditionalVae({ inputDim: 20, classCount: 2, hiddenSizes: [16], latentDim: 2, seed: 3 });
    const data = halves(600, 1);
    const run = await train(model, { train: data, epochs: 25, batchSize: 50, learningRate: 3e-3, seed: 1, progress: false });
    assert.ok(run.history[run.history.length - 1].train.total < run.history[0].train.total);
    const asked = tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 2), 'int32');
    const samples = model.sample(40, 7, asked).arraySync() as number[][];
    const right = samples.filter((row, i) => {
      const first = row.slice(0, 10).reduce((s, v) => s + v, 0);
      const second = row.slice(10).reduce((s, v) => s + v, 0);
      return (first > second) === (i % 2 === 0);
    }).length;
    assert.ok(right >= 38, `${right} of 40 samples show the half of the class asked for`);
    const report = await estimateLogLikelihood(model, halves(40, 2), { samples: [1, 10], seed: 1, progress: false });
    assert.ok(Number.isFinite(report.estimates[1].mean));
    const unlabelled = makeDataset({ x: halves(4, 2).x, featureShape: [20] });
    await assert.rejects(estimateLogLikelihood(model, unlabelled, { samples: [1], seed: 1, progress: false }), /needs the labels/);
  });
});
