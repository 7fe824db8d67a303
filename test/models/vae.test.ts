import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { subset } from '../../src/data/dataset';
import { loadMnist } from '../../src/data/mnist';
import { Vae, type VaeConfig } from '../../src/models/vae';
import { train } from '../../src/training/trainer';
import { trainInterrupted } from '../support/interrupted-run';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-vae-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const variable = (model: Vae, name: string): tf.Variable => {
  const found = model.namedVariables.find((v) => v.name === name);
  assert.ok(found, `no variable ${name} in ${model.namedVariables.map((v) => v.name).join(', ')}`);
  return found.variable;
};
const weights = (model: Vae) => model.namedVariables.map((v) => [...v.variable.dataSync()]);
const digits = (count: number, offset = 0) => subset(loadMnist('test'), Array.from({ length: count }, (_, i) => i + offset));

describe('Vae', () => {
  it('gives the closed-form KL on a hand-computed case', () => {
    const v = new Vae({ inputDim: 4, hiddenSizes: [3], latentDim: 2, seed: 1 });
    // Zero weights into the posterior heads: mu = its bias, log sigma^2 = its bias, for every input.
    for (const head of ['mean', 'logVar']) {
      const w = variable(v, `encoder/${head}/w`);
      w.assign(tf.zerosLike(w));
    }
    variable(v, 'encoder/mean/b').assign(tf.tensor1d([1, 0]));
    variable(v, 'encoder/logVar/b').assign(tf.tensor1d([0, Math.log(4)]));
    // KL = 1/2 sum(sigma^2 + mu^2 - 1 - log sigma^2) = 1/2 [(1 + 1 - 1 - 0) + (4 + 0 - 1 - ln 4)] = 2 - ln(4) / 2
    const expected = 2 - Math.log(4) / 2;
    const terms = v.computeLoss({ x: tf.randomUniform([5, 4], 0, 1, 'float32', 3) });
    assert.ok(Math.abs(terms.kl.dataSync()[0] - expected) < 1e-5, `kl ${terms.kl.dataSync()[0]}, expected ${expected}`);
    v.dispose();
  });

  it('gives the negative ELBO: reconstruction + beta * KL', () => {
    const v = new Vae({ inputDim: 10, hiddenSizes: [6], latentDim: 3, beta: 2, seed: 1 });
    const x = tf.randomUniform([4, 10], 0, 1, 'float32', 2);
    const terms = v.computeLoss({ x });
    assert.deepEqual(Object.keys(terms).sort(), ['kl', 'reconstruction', 'total']);
    const [total, rec, kl] = [terms.total, terms.reconstruction, terms.kl].map((t) => t.dataSync()[0]);
    assert.ok(Math.abs(total - (rec + 2 * kl)) < 1e-4 * Math.abs(total));
    const { mean, logVar } = v.posterior(x);
    const m = mean.arraySync() as number[][];
    const l = logVar.arraySync() as number[][];
    let expected = 0;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expected += -0.5 * (1 + l[i][j] - m[i][j] ** 2 - Math.exp(l[i][j]));
    assert.ok(Math.abs(kl - expected / 4) < 1e-5, `kl ${kl} vs ${expected / 4}`);
    v.dispose();
  });

  it('passes the reconstruction gradient through the sample to mu and to the log-variance', () => {
    const v = new Vae({ inputDim: 8, hiddenSizes: [5], latentDim: 2, seed: 4 });
    const x = tf.randomUniform([6, 8], 0, 1, 'float32', 5);
    const heads = ['encoder/mean/b', 'encoder/logVar/b'].map((name) => variable(v, name));
    // The reconstruction term alone: it reaches log sigma^2 only through z = mu + sigma * eps.
    const { grads } = tf.variableGrads(() => v.computeLoss({ x }, { training: true, step: 0 }).reconstruction, heads);
    for (const head of heads) {
      const g = [...grads[head.name].dataSync()];
      assert.ok(g.every(Number.isFinite) && g.some((value) => Math.abs(value) > 1e-6), `${head.name}: ${g}`);
    }
    Object.values(grads).forEach((g) => g.dispose());
    v.dispose();
  });

  it('draws its noise from the seed and the step: same step, same loss; encode does not move it', () => {
    const a = new Vae({ inputDim: 8, hiddenSizes: [4], latentDim: 2, seed: 5 });
    const x = tf.randomUniform([3, 8], 0, 1, 'float32', 6);
    const loss = (step: number) => a.computeLoss({ x }, { training: true, step }).total.dataSync()[0];
    const first = loss(7);
    a.encode(x).dispose();
    assert.equal(loss(7), first);
    assert.notEqual(loss(8), first);
    const b = new Vae({ inputDim: 8, hiddenSizes: [4], latentDim: 2, seed: 5 });
    assert.equal(b.computeLoss({ x }, { training: true, step: 7 }).total.dataSync()[0], first);
    assert.notDeepEqual([...a.encode(x).dataSync()], [...a.encode(x).dataSync()], 'encode samples');
    assert.deepEqual([...a.embed(x).dataSync()], [...a.embed(x).dataSync()], 'embed is the mean');
    assert.deepEqual(a.reconstruct(x).shape, [3, 8]);
    [a, b].forEach((m) => m.dispose());
  });

  it('leaves no tensor behind per training step, per embed and per encode', () => {
    const v = new Vae({ inputDim: 8, hiddenSizes: [4], latentDim: 2, seed: 5 });
    const x = tf.randomUniform([3, 8], 0, 1, 'float32', 6);
    const optimizer = tf.train.adam(0.01);
    const step = (i: number) => optimizer.minimize(() => v.computeLoss({ x }, { training: true, step: i }).total, false, v.trainableVariables as tf.Variable[]);
    step(0); // Adam makes its slot variables on the first step.
    const start = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) step(i);
    v.embed(x).dispose();
    v.encode(x).dispose();
    v.reconstruct(x).dispose();
    assert.equal(tf.memory().numTensors, start);
    optimizer.dispose();
    v.dispose();
  });

  it('resumes an interrupted run to the history and weights of an uninterrupted one, encode calls between epochs included', async () => {
    const config: VaeConfig = { inputDim: 784, hiddenSizes: [16], latentDim: 2, seed: 11 };
    const options = { train: digits(48), validation: digits(16, 48), epochs: 4, batchSize: 16, seed: 3, learningRate: 0.003, progress: false };
    const whole = new Vae(config);
    const full = await train(whole, options);
    const probe = tf.tensor2d(digits(4).x, [4, 784]);
    const first = new Vae(config);
    const ckpt = path.join(dir, 'resume');
    // A notebook looking at samples between epochs.
    await trainInterrupted(first, options, ckpt, 2, () => first.encode(probe).dispose());
    first.dispose();
    const second = new Vae(config);
    second.encode(probe).dispose();
    const resumed = await train(second, { ...options, checkpointDir: ckpt });
    assert.equal(resumed.startEpoch, 3);
    assert.deepEqual(
      resumed.history.map((h) => [h.train, h.validation]),
      full.history.map((h) => [h.train, h.validation]),
    );
    assert.deepEqual(weights(second), weights(whole));
    // The validation loss is a function of the weights: evaluating twice gives one number.
    assert.ok(full.history.every((h) => h.validation !== undefined && Number.isFinite(h.validation.total)));
    probe.dispose();
    whole.dispose();
    second.dispose();
  });

  it('rejects bad configs and codes with the argument named', () => {
    assert.throws(() => new Vae({ inputDim: 8, hiddenSizes: [4], latentDim: 2, beta: -1, seed: 1 }), /beta must be a number >= 0, got -1/);
    const v = new Vae({ inputDim: 8, hiddenSizes: [4], latentDim: 2, seed: 1 });
    assert.throws(() => v.decode(tf.zeros([2, 3])), /expected z of shape \[batch, 2\], got \[2, 3\]/);
    v.dispose();
  });
});
