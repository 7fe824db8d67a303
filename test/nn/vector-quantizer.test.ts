import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { checkClose } from '../../src/core/assert';
import { Random } from '../../src/core/random';
import { stopGradient } from '../../src/core/straight-through';
import { registerWasmKernels } from '../../src/kernels/wasm-kernels';
import { lookupCodes, nearestCode, perplexity, VectorQuantizer } from '../../src/nn/vector-quantizer';
import { ParameterScope } from '../../src/nn/params';

before(async () => {
  await tf.setBackend('cpu');
});

/** Nearest row by brute force on the host. */
function nearestByHand(v: number[][], e: number[][]): number[] {
  return v.map((row) => {
    let best = 0;
    let bestD = Infinity;
    e.forEach((word, k) => {
      const d = word.reduce((s, w, j) => s + (row[j] - w) ** 2, 0);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    return best;
  });
}

describe('nearestCode and lookupCodes', () => {
  it('find each vector\'s nearest code word as brute force does, and look the words up', () => {
    const r = new Random(3);
    const v = Array.from({ length: 40 }, () => Array.from({ length: 5 }, () => 2 * r.next() - 1));
    const e = Array.from({ length: 9 }, () => Array.from({ length: 5 }, () => 2 * r.next() - 1));
    const indices = nearestCode(tf.tensor2d(v), tf.tensor2d(e));
    assert.equal(indices.dtype, 'int32');
    assert.deepEqual(Array.from(indices.dataSync()), nearestByHand(v, e));
    const looked = lookupCodes(indices, tf.tensor2d(e)).arraySync();
    looked.forEach((row, i) => checkClose(row, e[nearestByHand(v, e)[i]], 1e-6, `row ${i}`));
  });

  it('lookupCodes passes gradients to the codebook on the wasm backend (where gather\'s gradient has no kernel)', async () => {
    registerWasmKernels();
    await tf.setBackend('wasm');
    try {
      const e = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
      const { grads } = tf.variableGrads(() => lookupCodes(tf.tensor1d([2, 0, 2], 'int32'), e).sum() as tf.Scalar, [e]);
      // Each chosen word gets one gradient of 1 per time chosen: word 2 twice, word 0 once, word 1 never.
      assert.deepEqual(Array.from(grads[e.name].dataSync()), [1, 1, 0, 0, 2, 2]);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('rejects vectors and a codebook of different widths', () => {
    assert.throws(() => nearestCode(tf.zeros([4, 3]), tf.zeros([5, 2])), /must share D/);
  });
});

describe('perplexity', () => {
  it('is 1 for one word, K for K equal words, and exp(entropy) in between', () => {
    assert.equal(perplexity([0, 7, 0]), 1);
    checkClose([perplexity([5, 5, 5, 5])], [4], 1e-12, 'four equal words');
    const p = [0.5, 0.25, 0.25];
    checkClose([perplexity([2, 1, 1])], [Math.exp(-p.reduce((s, q) => s + q * Math.log(q), 0))], 1e-12, 'exp(entropy)');
    assert.throws(() => perplexity([0, 0]), /all zero/);
    assert.throws(() => perplexity([1, -1]), />= 0/);
  });
});

describe('stopGradient', () => {
  it('keeps the value and blocks the gradient', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const f = (a: tf.Tensor) => a.mul(stopGradient(a)).sum();
    checkClose(f(x).dataSync(), [14], 1e-6, 'value');
    // d/da of a * sg[a] is sg[a] = a, not 2a.
    checkClose(tf.grad(f)(x).dataSync(), [1, -2, 3], 1e-6, 'gradient');
  });
});

describe('VectorQuantizer', () => {
  it('starts uniform in +-1/K, counts use only in training, and replaces dead words by candidates', () => {
    const scope = ParameterScope.create('vq', 4);
    const q = new VectorQuantizer(scope.child('quantizer'), { codebookSize: 8, codeDim: 3 });
    assert.deepEqual(q.variables.map((v) => v.name), ['quantizer/codebook']);
    assert.deepEqual(q.stateVariables.map((v) => v.name), ['quantizer/usage']);
    const start = q.codebook.dataSync();
    assert.ok(Array.from(start).every((w) => Math.abs(w) <= 1 / 8), 'uniform in +-1/K');
    // Put words 0 and 1 far apart so that the vectors below choose only them.
    q.codebook.assign(tf.tensor2d([[5, 5, 5], [-5, -5, -5], ...Array.from({ length: 6 }, (_, i) => [0.01 * i, 0, 0])]));
    const vectors = tf.tensor2d([[4, 5, 6], [-4, -4, -6], [6, 4, 5]]);
    q.apply(vectors);
    assert.deepEqual(Array.from(q.usage.dataSync()), [0, 0, 0, 0, 0, 0, 0, 0], 'evaluation does not count');
    const out = q.apply(vectors, { training: true });
    assert.deepEqual(Array.from(out.indices.dataSync()), [0, 1, 0]);
    assert.deepEqual(Array.from(q.usage.dataSync()), [2, 1, 0, 0, 0, 0, 0, 0]);
    const candidates = tf.tensor2d([[10, 0, 0], [0, 10, 0], [0, 0, 10], [7, 7, 7]]);
    const replaced = q.reseedDead(candidates, new Random(1));
    assert.deepEqual(replaced, [2, 3, 4, 5], 'dead words replaced while candidates last');
    const book = q.codebook.arraySync();
    assert.deepEqual(book.slice(0, 2), [[5, 5, 5], [-5, -5, -5]], 'used words untouched');
    const candidateRows = candidates.arraySync().map((r) => r.join(','));
    const newRows = book.slice(2, 6).map((r) => r.join(','));
    assert.deepEqual([...newRows].sort(), [...candidateRows].sort(), 'each candidate used once');
    checkClose(book[6].concat(book[7]), [0.04, 0, 0, 0.05, 0, 0], 1e-6, 'the rest untouched');
    assert.deepEqual(Array.from(q.usage.dataSync()), new Array(8).fill(0), 'usage reset');
    assert.throws(() => q.apply(tf.zeros([2, 4])), /expected vectors of shape \[N, 3\]/);
  });
});
