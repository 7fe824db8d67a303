import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { checkClose } from '../../src/core/assert';
import * as lib from '../../src/index';
import { registerWasmKernels } from '../../src/kernels/wasm-kernels';
import { VqVae } from '../../src/models/vq-vae';
import { nearestCode } from '../../src/nn/vector-quantizer';
import { train } from '../../src/training/trainer';
import { smallDigits } from '../support/small-digits';

before(async () => {
  await tf.setBackend('cpu');
});

describe('VqVae', () => {
  it('is a conv encoder with a 1x1 projection, a codebook and a conv decoder: layers, shapes, parameters and code size', () => {
    const model = new VqVae({ inputShape: [28, 28, 1], filters: [8, 16], codeDim: 4, codebookSize: 32, seed: 1 });
    assert.equal(lib.VqVae, VqVae, 'exported from the library');
    const rows = model.summary();
    assert.deepEqual(rows.map((r) => [r.layer, r.outputShape]), [
      ['encoder/0', [28, 28, 8]],
      ['encoder/0/pool', [14, 14, 8]],
      ['encoder/1', [14, 14, 16]],
      ['encoder/1/pool', [7, 7, 16]],
      ['encoder/project', [7, 7, 4]],
      ['quantizer/codebook', [4]],
      ['decoder/0', [14, 14, 4]],
      ['decoder/1', [28, 28, 8]],
      ['decoder/output', [28, 28, 1]],
    ]);
    // conv 3x3x1x8+8, conv 3x3x8x16+16, 1x1 conv 16x4+4, codebook 32x4, convT 3x3x4x4+4, convT 3x3x4x8+8, conv 3x3x8x1+1.
    const expected = 80 + 1168 + 68 + 128 + 148 + 296 + 73;
    assert.equal(rows.reduce((s, r) => s + r.params, 0), expected);
    assert.equal(model.trainableVariables.reduce((s, v) => s + v.size, 0), expected);
    assert.deepEqual(model.stateVariables.map((v) => v.name), ['quantizer/usage']);
    assert.deepEqual(model.grid, { rows: 7, cols: 7 });
    assert.equal(model.latentDim, 7 * 7 * 4);
    assert.equal(model.bitsPerImage, 49 * 5, '49 positions of log2(32) = 5 bits');
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 2);
    const indices = model.codeIndices(x);
    assert.equal(indices.dtype, 'int32');
    assert.deepEqual(indices.shape, [3, 49]);
    checkClose(model.decodeIndices(indices).dataSync(), model.reconstruct(x).dataSync(), 1e-5, 'decoding the indices is reconstructing');
    assert.deepEqual(model.embed(x).shape, [3, 196]);
    assert.throws(() => model.decodeIndices(tf.fill([1, 49], 32, 'int32') as tf.Tensor2D), /indices must lie in 0\.\.31/);
    assert.throws(() => model.decodeIndices(tf.zeros([1, 48], 'int32') as tf.Tensor2D), /shape \[batch, 49\]/);
  });

  it('has the three loss terms of van den Oord et al.: reconstruction, codebook and beta times commitment', () => {
    const model = new VqVae({ inputShape: [12, 12, 1], filters: [4, 8], codeDim: 3, codebookSize: 6, commitment: 0.4, seed: 3 });
    const x = tf.randomUniform([5, 12, 12, 1], 0, 1, 'float32', 4);
    const terms = model.computeLoss({ x });
    // By hand: the nearest words, the squared distances summed per image, the batch mean.
    const vectors = model.encodeVectors(x);
    const codes = tf.gather(model.quantizer.codebook, nearestCode(vectors, model.quantizer.codebook));
    const squared = tf.squaredDifference(vectors, codes).sum().div(5).dataSync()[0];
    checkClose(terms.codebook.dataSync(), [squared], 1e-5, 'codebook term');
    checkClose(terms.commitment.dataSync(), [squared], 1e-5, 'commitment term (same value, other gradient)');
    const xFlat = x.reshape([5, 144]);
    const logits = model.decodeLogits(codes.reshape([5, model.latentDim]) as tf.Tensor2D);
    const bce = tf.losses.sigmoidCrossEntropy(xFlat, logits, undefined, 0, tf.Reduction.NONE).sum().div(5).dataSync()[0];
    checkClose(terms.reconstruction.dataSync(), [bce], 1e-4, 'reconstruction: BCE of the decoded nearest words');
    checkClose(terms.total.dataSync(), [bce + squared + 0.4 * squared], 1e-4, 'total');
  });

  it('sends each term\'s gradient where the paper says: codebook to the words, commitment to the encoder, reconstruction past the quantiser to encoder and decoder', () => {
    const model = new VqVae({ inputShape: [12, 12, 1], filters: [4, 8], codeDim: 3, codebookSize: 6, seed: 5 });
    const x = tf.randomUniform([4, 12, 12, 1], 0, 1, 'float32', 6);
    const norms = (term: string) => {
      const { grads } = tf.variableGrads(() => model.computeLoss({ x })[term] as tf.Scalar, model.trainableVariables as tf.Variable[]);
      // A variable the term does not reach at all has no entry.
      const byName = new Map(model.namedVariables.map((v) => [v.name, grads[v.variable.name]?.abs().sum().dataSync()[0] ?? 0]));
      const part = (prefix: string) => [...byName].filter(([n]) => n.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);
      return { encoder: part('encoder/'), codebook: part('quantizer/'), decoder: part('decoder/') };
    };
    const codebook = norms('codebook');
    assert.ok(codebook.codebook > 0 && codebook.encoder === 0 && codebook.decoder === 0, JSON.stringify(codebook));
    const commitment = norms('commitment');
    assert.ok(commitment.encoder > 0 && commitment.codebook === 0 && commitment.decoder === 0, JSON.stringify(commitment));
    const reconstruction = norms('reconstruction');
    assert.ok(reconstruction.encoder > 0 && reconstruction.decoder > 0 && reconstruction.codebook === 0, JSON.stringify(reconstruction));
  });

  describe('trained on small digits (wasm)', () => {
    const trainSet = smallDigits(0, 1024);
    const heldOut = smallDigits(5000, 256);
    after(async () => {
      tf.dispose([trainSet.x, heldOut.x]);
      await tf.setBackend('cpu');
    });

    it('reconstructs held-out digits better than the mean image, and replacing dead codes uses more of the codebook', async () => {
      registerWasmKernels();
      await tf.setBackend('wasm');
      const meanImage = tf.tidy(() => {
        const mean = trainSet.x.reshape([1024, 144]).mean(0).clipByValue(1e-4, 1 - 1e-4);
        const flat = heldOut.x.reshape([256, 144]);
        return flat.mul(mean.log()).add(tf.scalar(1).sub(flat).mul(tf.scalar(1).sub(mean).log())).sum(1).mean().neg().dataSync()[0];
      });
      const results = [];
      for (const resetDeadCodes of [false, true]) {
        const model = new VqVae({ inputShape: [12, 12, 1], filters: [16], codeDim: 4, codebookSize: 64, resetDeadCodes, seed: 2 });
        const untrained = model.computeLoss({ x: heldOut.x }).reconstruction.dataSync()[0];
        await train(model, { train: trainSet.set, epochs: 6, batchSize: 32, seed: 1, learningRate: 3e-3, progress: false });
        const reconstruction = model.computeLoss({ x: heldOut.x }).reconstruction.dataSync()[0];
        const usage = await model.codeUsage(heldOut.set);
        results.push({ resetDeadCodes, untrained, reconstruction, usage, history: model.codeUseHistory.slice() });
        model.dispose();
      }
      console.log(JSON.stringify(results.map((r) => ({ reset: r.resetDeadCodes, untrained: r.untrained, reconstruction: r.reconstruction, used: r.usage.used, perplexity: r.usage.perplexity, history: r.history })), null, 0));
      for (const r of results) {
        assert.ok(r.reconstruction < 0.8 * meanImage, `reconstruction ${r.reconstruction.toFixed(1)} against ${meanImage.toFixed(1)} for the mean image`);
        assert.equal(r.usage.positions, 256 * 36);
        assert.equal(r.history.length, 6, 'one code-use entry per epoch');
        assert.equal(r.usage.used + r.usage.dead, 64);
      }
      const [plain, reset] = results;
      assert.ok(plain.history.every((h) => h.reseeded === 0));
      assert.ok(reset.history[0].reseeded > 0 && reset.history[0].reseeded === reset.history[0].dead, 'every dead code of epoch 1 was replaced');
      assert.ok(reset.usage.used > plain.usage.used, `codes used on held-out digits: ${reset.usage.used} with the fix, ${plain.usage.used} without`);
      assert.ok(reset.usage.perplexity > plain.usage.perplexity, 'and a higher perplexity');
    });
  });

  it('rejects bad configs with the field named', () => {
    assert.throws(() => new VqVae({ inputShape: [28, 28, 1], codebookSize: 0, seed: 1 }), /codebookSize must be a positive integer/);
    assert.throws(() => new VqVae({ inputShape: [28, 28, 1], codebookSize: 8, commitment: -1, seed: 1 }), /commitment must be a number >= 0/);
    assert.throws(() => new VqVae({ inputShape: [28, 28, 1], filters: [8, 8, 8], codebookSize: 8, seed: 1 }), /divisible by 8/);
    assert.throws(() => new VqVae({ inputShape: [64, 1], codebookSize: 8, seed: 1 }), /\[height, width, channels\]/);
  });
});
