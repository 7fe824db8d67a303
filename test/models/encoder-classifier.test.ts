import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { EncoderClassifier, identityEncoder, meanEncoder } from '../../src/models/encoder-classifier';
import { Vae } from '../../src/models/vae';
import { DenseStack, dropoutMask } from '../../src/nn/dense-stack';
import { ParameterScope } from '../../src/nn/params';
import { Optimizer } from '../../src/training/optimizer';
import { train } from '../../src/training/trainer';

before(async () => {
  await tf.setBackend('cpu');
});

/** Two Gaussian blobs in 6-D, labels 0 and 1 (or `classes` blobs on the axes). */
function blobs(n: number, classes = 2) {
  const x = new Float32Array(n * 6);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let j = 0; j < 6; j++) {
      const centre = classes === 2 ? (labels[i] === 1 ? 1 : -1) * (j < 3 ? 1 : 0) : j === labels[i] ? 2 : 0;
      x[i * 6 + j] = centre + Math.sin(i * 7.1 + j * 3.3) * 0.5;
    }
  }
  return makeDataset({ x, featureShape: [6], labels, classCount: classes });
}

const values = (variables: readonly { variable: tf.Variable }[]) => variables.map((v) => Array.from(v.variable.dataSync()));

describe('EncoderClassifier (the lecture\'s AE_classifier)', () => {
  it('on a 1,024 code has the lecture\'s layers and 388,285 trainable parameters, as its summary counts', () => {
    const ae = new DenseAutoencoder({ inputDim: 784, hiddenSizes: [], latentDim: 1024, seed: 1 });
    const clf = new EncoderClassifier(ae.encoder, { latentDim: 1024, classes: 'binary', seed: 2 });
    const head = clf.head.summary();
    assert.deepEqual(
      head.map((r) => [r.kind, r.outputShape[0], r.params]),
      [
        ['Dense relu', 341, 1024 * 341 + 341],
        ['Dropout 0.2', 341, 0],
        ['Dense relu', 113, 341 * 113 + 113],
        ['Dropout 0.2', 113, 0],
        ['Dense linear', 1, 114],
      ],
    );
    assert.equal(head.reduce((s, r) => s + r.params, 0), 388285);
    assert.equal(clf.trainableVariables.reduce((s, v) => s + v.size, 0), 388285, 'frozen: only the new layers are trainable');
    assert.equal(clf.summary().length, ae.encoder.summary().length + 5);
    clf.dispose();
    ae.dispose();
  });

  it('frozen: the encoder\'s variables do not move in training, it is not freed with the classifier, and the classes are separated', async () => {
    const ae = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [8], latentDim: 4, seed: 1 });
    const before = values(ae.namedVariables);
    const clf = new EncoderClassifier(ae.encoder, { latentDim: 4, classes: 'binary', hiddenSizes: [8], seed: 3 });
    const headBefore = values(clf.namedVariables);
    const data = blobs(64);
    await train(clf, { train: data, epochs: 40, batchSize: 16, seed: 1, learningRate: 0.02, progress: false });
    assert.deepEqual(values(ae.namedVariables), before, 'the encoder is unchanged');
    assert.notDeepEqual(values(clf.namedVariables), headBefore, 'the new layers trained');
    const x = tf.tensor(data.x, [64, 6]);
    const predicted = Array.from(clf.predict(x).dataSync());
    const correct = predicted.filter((p, i) => p === data.labels![i]).length;
    assert.ok(correct >= 60, `${correct}/64 correct`);
    const p = clf.probabilities(x);
    assert.deepEqual(p.shape, [64]);
    assert.ok(Array.from(p.dataSync()).every((v, i) => (v > 0.5 ? 1 : 0) === predicted[i]), 'predict is probability > 0.5');
    clf.dispose();
    assert.ok(ae.trainableVariables.every((v) => !v.isDisposed), 'the encoder still belongs to the autoencoder');
    ae.dispose();
  });

  it('fine-tune: the encoder trains too, at the scaled learning rate (SGD: its step is exactly the scale times the plain one)', () => {
    const ae = new DenseAutoencoder({ inputDim: 6, hiddenSizes: [], latentDim: 4, seed: 1 });
    const clf = new EncoderClassifier(ae.encoder, { latentDim: 4, classes: 3, hiddenSizes: [], encoderTraining: 'fine-tune', encoderLearningRateScale: 0.25, seed: 3 });
    assert.deepEqual(clf.namedVariables.map((v) => v.name), ['encoder/0/w', 'encoder/0/b', 'classifier/0/w', 'classifier/0/b']);
    assert.deepEqual([...clf.learningRateScales], [['encoder/0/w', 0.25], ['encoder/0/b', 0.25]]);
    const data = blobs(12, 3);
    const batch = { x: tf.tensor(data.x, [12, 6]), labels: tf.tensor1d(data.labels!, 'int32') };
    const { grads } = tf.variableGrads(() => clf.computeLoss(batch).total, clf.trainableVariables as tf.Variable[]);
    const before = values(clf.namedVariables);
    const optimizer = new Optimizer(clf.namedVariables, { name: 'sgd', learningRate: 0.5 }, clf.learningRateScales);
    optimizer.apply(grads);
    const after = values(clf.namedVariables);
    clf.namedVariables.forEach((v, k) => {
      const g = grads[v.variable.name].dataSync();
      const rate = k < 2 ? 0.5 * 0.25 : 0.5;
      after[k].forEach((w, i) => assert.ok(Math.abs(w - (before[k][i] - rate * g[i])) < 1e-6, `${v.name}[${i}]`));
    });
    assert.ok(grads[clf.namedVariables[0].variable.name].abs().max().dataSync()[0] > 0, 'the encoder gets a gradient');
    optimizer.dispose();
    clf.dispose();
    assert.ok(ae.trainableVariables.every((v) => !v.isDisposed), 'a fine-tuned encoder is trained in place but still belongs to the autoencoder');
    assert.notDeepEqual(values(ae.namedVariables), before.slice(0, 2), 'the autoencoder\'s own encoder moved');
    ae.dispose();
  });

  it('multi-class: softmax over the classes; an identity encoder makes softmax regression on the raw input; a VAE\'s mean encoder', async () => {
    const data = blobs(60, 3);
    const clf = new EncoderClassifier(identityEncoder(6), { latentDim: 6, classes: 3, hiddenSizes: [], seed: 4 });
    assert.equal(clf.trainableVariables.reduce((s, v) => s + v.size, 0), 6 * 3 + 3, 'one linear layer');
    await train(clf, { train: data, epochs: 30, batchSize: 20, seed: 1, learningRate: 0.05, progress: false });
    const x = tf.tensor(data.x, [60, 6]);
    const p = clf.probabilities(x);
    assert.deepEqual(p.shape, [60, 3]);
    assert.ok(Array.from(p.sum(1).dataSync()).every((s) => Math.abs(s - 1) < 1e-5));
    const correct = Array.from(clf.predict(x).dataSync()).filter((c, i) => c === data.labels![i]).length;
    assert.ok(correct >= 57, `${correct}/60`);
    clf.dispose();

    const vae = new Vae({ inputDim: 6, hiddenSizes: [5], latentDim: 2, seed: 1 });
    const mean = meanEncoder(vae.encoder);
    const z = mean.apply(x);
    const q = vae.encoder.apply(x);
    assert.deepEqual(Array.from(z.dataSync()), Array.from(q.mean.dataSync()));
    const onVae = new EncoderClassifier(mean, { latentDim: 2, classes: 3, seed: 1 });
    assert.deepEqual(onVae.head.summary().map((r) => r.kind), ['Dense linear'], 'a 2-number code: latent/3 and latent/9 are 0, so one linear layer is left');
    assert.throws(() => new EncoderClassifier(mean, { latentDim: 3, classes: 3, seed: 1 }).logits(x), /the encoder gives \[60, 2\], expected \[batch, 3\]/);
    vae.dispose();
  });

  it('refuses bad settings and labels outside the classes', async () => {
    const enc = identityEncoder(6);
    assert.throws(() => new EncoderClassifier(enc, { latentDim: 6, classes: 1, seed: 1 }), /classes must be 'binary' or a whole number >= 2, got 1/);
    assert.throws(() => new EncoderClassifier(enc, { latentDim: 6, classes: 'binary', dropout: 1, seed: 1 }), /dropout must be a number in \[0, 1\), got 1/);
    assert.throws(() => new EncoderClassifier(enc, { latentDim: 6, classes: 'binary', encoderTraining: 'thawed' as never, seed: 1 }), /encoderTraining must be 'frozen' or 'fine-tune'/);
    assert.throws(() => new EncoderClassifier(enc, { latentDim: 6, classes: 'binary', encoderLearningRateScale: 0, seed: 1 }), /encoderLearningRateScale must be a finite number > 0/);
    const clf = new EncoderClassifier(enc, { latentDim: 6, classes: 'binary', seed: 1 });
    assert.equal(clf.classCount, 2);
    const nan = clf.computeLoss({ x: tf.zeros([2, 6]), labels: tf.tensor1d([0, 2], 'int32') });
    assert.ok(Number.isNaN(nan.total.dataSync()[0]));
    const data = makeDataset({ x: new Float32Array(12), featureShape: [6], labels: Int32Array.from([1, 2]) });
    await assert.rejects(train(clf, { train: data, epochs: 1, batchSize: 2, seed: 1, progress: false }), /the training set has classCount 3, but model encoder-classifier has classCount 2/);
    assert.throws(() => clf.computeLoss({ x: tf.zeros([2, 6]) }), /the batch has no labels/);
  });
});

describe('dropout in DenseStack', () => {
  it('zeros about the rate\'s share of values and scales the rest by 1 / (1 - rate), the same for the same seed', () => {
    const x = tf.ones([200, 50]) as tf.Tensor2D;
    const a = Array.from(dropoutMask(x, 0.2, 7).dataSync());
    const zeros = a.filter((v) => v === 0).length / a.length;
    assert.ok(Math.abs(zeros - 0.2) < 0.02, `share zeroed ${zeros}`);
    assert.ok(a.every((v) => v === 0 || Math.abs(v - 1.25) < 1e-6));
    assert.deepEqual(Array.from(dropoutMask(x, 0.2, 7).dataSync()), a);
    assert.notDeepEqual(Array.from(dropoutMask(x, 0.2, 8).dataSync()), a);
  });

  it('drops only in training, only after hidden layers, and needs a seed there', () => {
    const stack = new DenseStack(ParameterScope.create('d', 1), { inputDim: 5, widths: [40, 3], dropout: 0.5 });
    const x = tf.randomUniform([8, 5], 0, 1, 'float32', 1);
    const plain = new DenseStack(ParameterScope.create('d', 1), { inputDim: 5, widths: [40, 3] });
    assert.deepEqual(Array.from(stack.apply(x).dataSync()), Array.from(plain.apply(x).dataSync()), 'evaluation: no dropout, same weights from the same seed');
    assert.throws(() => stack.apply(x, { training: true }), /training with dropout needs ApplyOptions\.seed/);
    const t1 = Array.from(stack.apply(x, { training: true, seed: 3 }).dataSync());
    assert.deepEqual(Array.from(stack.apply(x, { training: true, seed: 3 }).dataSync()), t1);
    assert.notDeepEqual(t1, Array.from(plain.apply(x).dataSync()));
    assert.deepEqual(stack.summary().map((r) => r.kind), ['Dense relu', 'Dropout 0.5', 'Dense linear']);
  });
});

describe('Optimizer learning-rate scales', () => {
  it('refuses a scale for a variable it does not train, or a factor that is not > 0', () => {
    const stack = new DenseStack(ParameterScope.create('s', 1), { inputDim: 2, widths: [2] });
    assert.throws(() => new Optimizer(stack.variables, { name: 'adam', learningRate: 0.1 }, new Map([['nope', 0.1]])), /names "nope", which is not one of the variables being trained/);
    assert.throws(() => new Optimizer(stack.variables, { name: 'adam', learningRate: 0.1 }, new Map([['0/w', 0]])), /must be a finite number > 0, got 0/);
  });

  it('Adam with a scale of s moves a variable exactly as Adam at s times the rate', () => {
    const make = () => new DenseStack(ParameterScope.create('s', 1), { inputDim: 3, widths: [2] });
    const a = make();
    const b = make();
    const x = tf.randomUniform([4, 3], -1, 1, 'float32', 2);
    const grads = (s: DenseStack) => tf.variableGrads(() => s.apply(x).square().sum() as tf.Scalar, s.variables.map((v) => v.variable)).grads;
    const scaled = new Optimizer(a.variables, { name: 'adam', learningRate: 0.1 }, new Map([['0/w', 0.3], ['0/b', 0.3]]));
    const plain = new Optimizer(b.variables, { name: 'adam', learningRate: 0.03 });
    for (let i = 0; i < 3; i++) {
      scaled.apply(grads(a));
      plain.apply(grads(b));
    }
    a.variables.forEach((v, k) => {
      const w = v.variable.dataSync();
      const u = b.variables[k].variable.dataSync();
      w.forEach((value, i) => assert.ok(Math.abs(value - u[i]) < 1e-6, `${v.name}[${i}]: ${value} against ${u[i]}`));
    });
  });
});
