import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../src/nn/dense';
import type { OptimizerConfig, OptimizerName } from '../../src/training/optimizer';
import { Optimizer, optimizerNames } from '../../src/training/optimizer';

before(async () => {
  await tf.setBackend('cpu');
});

const start = [1, -2, 0.5];
// The gradients of three steps, with a sign change and a zero to exercise every branch.
const gradients = [
  [0.5, -1, 0],
  [-0.25, 2, 0.1],
  [1, 0.5, -0.3],
];

/** The reference update of each optimiser, in float64, written from the papers' formulas. */
function reference(config: Required<OptimizerConfig>): number[][] {
  const w = [...start];
  const m = [0, 0, 0];
  const v = config.name === 'adagrad' ? [0.1, 0.1, 0.1] : [0, 0, 0];
  const out: number[][] = [];
  gradients.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < 3; i++) {
      const r = config.learningRate;
      switch (config.name) {
        case 'sgd':
          m[i] = config.momentum * m[i] + g[i];
          w[i] -= r * m[i];
          break;
        case 'adagrad':
          v[i] += g[i] ** 2;
          w[i] -= (r * g[i]) / (Math.sqrt(v[i]) + config.epsilon);
          break;
        case 'adam': {
          m[i] = config.beta1 * m[i] + (1 - config.beta1) * g[i];
          v[i] = config.beta2 * v[i] + (1 - config.beta2) * g[i] ** 2;
          const mHat = m[i] / (1 - config.beta1 ** t);
          const vHat = v[i] / (1 - config.beta2 ** t);
          // Kingma and Ba's "efficient" form (section 2), which puts epsilon on sqrt(v) before the bias correction.
          w[i] -= (r * mHat) / (Math.sqrt(vHat) + config.epsilon / Math.sqrt(1 - config.beta2 ** t));
          break;
        }
        case 'adamax':
          m[i] = config.beta1 * m[i] + (1 - config.beta1) * g[i];
          v[i] = Math.max(config.beta2 * v[i], Math.abs(g[i]));
          w[i] -= ((r / (1 - config.beta1 ** t)) * m[i]) / (v[i] + config.epsilon);
          break;
      }
    }
    out.push([...w]);
  });
  return out;
}

function run(config: OptimizerConfig, steps = gradients.length): { values: number[][]; optimizer: Optimizer; variable: tf.Variable } {
  const variable = tf.variable(tf.tensor1d(start), true);
  const named: NamedVariable[] = [{ name: 'layer/w', variable }];
  const optimizer = new Optimizer(named, config);
  const values: number[][] = [];
  for (const g of gradients.slice(0, steps)) {
    const grad = tf.tensor1d(g);
    optimizer.apply({ [variable.name]: grad });
    grad.dispose();
    values.push([...variable.dataSync()]);
  }
  return { values, optimizer, variable };
}

const close = (actual: number[][], expected: number[][], what: string) =>
  actual.forEach((row, s) => row.forEach((a, i) => assert.ok(Math.abs(a - expected[s][i]) < 2e-6, `${what}: step ${s + 1}, w[${i}] = ${a}, expected ${expected[s][i]}`)));

describe('Optimizer', () => {
  const configs: OptimizerConfig[] = [
    { name: 'sgd', learningRate: 0.1 },
    { name: 'sgd', learningRate: 0.1, momentum: 0.9 },
    { name: 'adagrad', learningRate: 0.1 },
    { name: 'adam', learningRate: 0.01 },
    { name: 'adamax', learningRate: 0.02 },
  ];
  for (const config of configs) {
    it(`${config.name}${config.momentum === undefined ? '' : ` with momentum ${config.momentum}`} follows its formula step by step`, () => {
      const { values, optimizer, variable } = run(config);
      close(values, reference({ ...optimizer.config }), config.name);
      assert.equal(optimizer.step, 3);
      optimizer.dispose();
      variable.dispose();
    });
  }

  it('agrees with TF.js own optimisers (tf.train.*) on a quadratic', () => {
    const makers: Record<OptimizerName, () => tf.Optimizer> = {
      sgd: () => tf.train.momentum(0.05, 0.5),
      adagrad: () => tf.train.adagrad(0.1, 0.1),
      adam: () => tf.train.adam(0.05, 0.9, 0.999, 1e-7),
      adamax: () => tf.train.adamax(0.05, 0.9, 0.999, 1e-7, 0),
    };
    const ours: Record<OptimizerName, OptimizerConfig> = {
      sgd: { name: 'sgd', learningRate: 0.05, momentum: 0.5 },
      adagrad: { name: 'adagrad', learningRate: 0.1 },
      adam: { name: 'adam', learningRate: 0.05 },
      adamax: { name: 'adamax', learningRate: 0.05 },
    };
    for (const name of optimizerNames) {
      const target = tf.tensor1d([3, -1, 0.25]);
      const loss = (w: tf.Variable) => () => w.sub(target).square().mul(tf.tensor1d([1, 2, 5])).sum() as tf.Scalar;
      const a = tf.variable(tf.tensor1d(start), true);
      const b = tf.variable(tf.tensor1d(start), true);
      const mine = new Optimizer([{ name: 'w', variable: a }], ours[name]);
      const theirs = makers[name]();
      for (let s = 0; s < 20; s++) {
        const { grads, value } = tf.variableGrads(loss(a), [a]);
        mine.apply(grads);
        tf.dispose([grads, value]);
        theirs.minimize(loss(b), false, [b]);
      }
      const [x, y] = [a.dataSync(), b.dataSync()];
      x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) < 1e-4, `${name}: w[${i}] ${v} vs tf.train ${y[i]}`));
      mine.dispose();
      theirs.dispose();
      tf.dispose([a, b, target]);
    }
  });

  it('saves and restores its state so that a resumed run continues exactly', () => {
    for (const name of optimizerNames) {
      const config: OptimizerConfig = { name, learningRate: 0.05, momentum: name === 'sgd' ? 0.9 : undefined };
      const whole = run(config);
      const part = run(config, 2);
      const saved = new Map(part.optimizer.stateTensors().map((t) => [t.name, { shape: t.tensor.shape, values: t.tensor.dataSync() as Float32Array }]));
      const expectedSlots = { sgd: ['m'], adagrad: ['accumulator'], adam: ['m', 'v'], adamax: ['m', 'u'] }[name];
      assert.deepEqual([...saved.keys()], expectedSlots.map((s) => `layer/w/${s}`));
      const variable = tf.variable(tf.tensor1d(part.values[1]), true);
      const restored = new Optimizer([{ name: 'layer/w', variable }], config);
      const before = tf.memory().numTensors;
      restored.loadState(2, saved, 'test');
      assert.equal(tf.memory().numTensors, before, 'loadState leaves no tensor behind');
      const grad = tf.tensor1d(gradients[2]);
      restored.apply({ [variable.name]: grad });
      assert.deepEqual([...variable.dataSync()], whole.values[2], name);
      assert.throws(() => restored.loadState(2, new Map(), 'ckpt'), /ckpt: optimizer state has no slot layer\/w\//);
      tf.dispose([grad, variable, whole.variable, part.variable]);
      [whole.optimizer, part.optimizer, restored].forEach((o) => o.dispose());
    }
  });

  it('takes a new learning rate for its next updates: the same steps as one configured with it, none at 0', () => {
    for (const name of optimizerNames) {
      const grads = gradients.map((g) => tf.tensor1d(g));
      const a = tf.variable(tf.tensor1d(start), true);
      const b = tf.variable(tf.tensor1d(start), true);
      const configured = new Optimizer([{ name: 'w', variable: a }], { name, learningRate: 0.05 });
      const changed = new Optimizer([{ name: 'w', variable: b }], { name, learningRate: 0.3 });
      assert.equal(changed.learningRate, 0.3, 'the configured rate until set');
      changed.learningRate = 0;
      changed.apply({ [b.name]: grads[0] });
      assert.deepEqual([...b.dataSync()], [...Float32Array.from(start)], `${name}: rate 0 leaves the weights unchanged`);
      tf.tidy(() => b.assign(tf.tensor1d(start)));
      const fresh = new Optimizer([{ name: 'w', variable: b }], { name, learningRate: 0.3 });
      fresh.learningRate = 0.05;
      for (const g of grads) {
        configured.apply({ [a.name]: g });
        fresh.apply({ [b.name]: g });
      }
      assert.deepEqual([...b.dataSync()], [...a.dataSync()], `${name}: a rate set to 0.05 steps as one configured with 0.05`);
      assert.equal(fresh.config.learningRate, 0.3, 'config keeps the configured rate (checkpoints compare it)');
      for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(() => (fresh.learningRate = bad), new RegExp(`learningRate must be a finite number >= 0, got ${bad}`));
      }
      assert.equal(fresh.learningRate, 0.05, 'a refused rate leaves the rate as it was');
      [configured, changed, fresh].forEach((o) => o.dispose());
      tf.dispose([...grads, a, b]);
    }
  });

  it('rejects bad settings with a message naming them', () => {
    const variable = tf.variable(tf.zeros([2]), true);
    const named = [{ name: 'w', variable }];
    assert.throws(() => new Optimizer(named, { name: 'rmsprop' as OptimizerName, learningRate: 0.1 }), /optimizer must be one of sgd\|adagrad\|adam\|adamax, got "rmsprop"/);
    assert.throws(() => new Optimizer(named, { name: 'adam', learningRate: 0 }), /learningRate must be a positive number, got 0/);
    assert.throws(() => new Optimizer(named, { name: 'adam', learningRate: 0.1, beta1: 1 }), /beta1 must be a number in \[0, 1\), got 1/);
    assert.throws(() => new Optimizer(named, { name: 'sgd', learningRate: 0.1, momentum: -0.5 }), /momentum must be a number in \[0, 1\), got -0.5/);
    variable.dispose();
  });
});
