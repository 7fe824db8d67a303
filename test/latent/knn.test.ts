import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/core/random';
import type { Embedding } from '../../src/latent/embed';
import { nearestNeighbours, neighbourVote, oneHotCodes } from '../../src/latent/knn';

before(async () => {
  await tf.setBackend('cpu');
});

function randomEmbedding(count: number, dim: number, random: Random): Embedding {
  return { z: Float32Array.from({ length: count * dim }, () => random.normal()), count, latentDim: dim };
}

/** Brute force: all squared distances in float64, sorted (ties by index). */
function bruteForce(query: Embedding, reference: Embedding, k: number, excludeSelf = false): { indices: number[][]; distances: number[][] } {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < query.count; i++) {
    const all: [number, number][] = [];
    for (let j = 0; j < reference.count; j++) {
      if (excludeSelf && i === j) continue;
      let d = 0;
      for (let c = 0; c < query.latentDim; c++) d += (query.z[i * query.latentDim + c] - reference.z[j * reference.latentDim + c]) ** 2;
      all.push([d, j]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    indices.push(all.slice(0, k).map((x) => x[1]));
    distances.push(all.slice(0, k).map((x) => x[0]));
  }
  return { indices, distances };
}

describe('nearestNeighbours', () => {
  it('finds the same neighbours and distances as brute force, in one block or many', async () => {
    const random = new Random(5);
    const reference = randomEmbedding(300, 7, random);
    const query = randomEmbedding(57, 7, random);
    const expected = bruteForce(query, reference, 5);
    for (const blockSize of [undefined, 1, 10, 57, 1000]) {
      const found = await nearestNeighbours(query, reference, 5, { blockSize });
      assert.equal(found.k, 5);
      assert.equal(found.count, 57);
      for (let i = 0; i < 57; i++) {
        assert.deepEqual(Array.from(found.indices.subarray(i * 5, i * 5 + 5)), expected.indices[i], `block ${blockSize}, query ${i}`);
        for (let j = 0; j < 5; j++) assert.ok(Math.abs(found.distances[i * 5 + j] - expected.distances[i][j]) < 1e-3 * (1 + expected.distances[i][j]), `distance ${i}, ${j}`);
      }
    }
  });

  it('leaves each point out of its own neighbours with excludeSelf', async () => {
    const random = new Random(6);
    const points = randomEmbedding(80, 3, random);
    const found = await nearestNeighbours(points, points, 4, { excludeSelf: true, blockSize: 16 });
    const expected = bruteForce(points, points, 4, true);
    for (let i = 0; i < 80; i++) assert.deepEqual(Array.from(found.indices.subarray(i * 4, i * 4 + 4)), expected.indices[i]);
    // Without it, every point is its own nearest neighbour at distance 0.
    const withSelf = await nearestNeighbours(points, points, 1);
    for (let i = 0; i < 80; i++) {
      assert.equal(withSelf.indices[i], i);
      assert.ok(withSelf.distances[i] < 1e-4);
    }
  });

  it('refuses mismatched dimensions, too large k and a malformed embedding', async () => {
    const a: Embedding = { z: new Float32Array(6), count: 3, latentDim: 2 };
    const b: Embedding = { z: new Float32Array(9), count: 3, latentDim: 3 };
    await assert.rejects(nearestNeighbours(a, b, 1), /query has 2 dimensions, reference 3/);
    await assert.rejects(nearestNeighbours(a, a, 4), /k = 4, but only 3 reference points/);
    await assert.rejects(nearestNeighbours(a, a, 3, { excludeSelf: true }), /k = 3, but only 2/);
    await assert.rejects(nearestNeighbours({ z: new Float32Array(5), count: 3, latentDim: 2 }, a, 1), /expected 3 x 2 values, got 5/);
  });
});

describe('oneHotCodes', () => {
  it('turns discrete codes into vectors whose squared distance is twice the Hamming distance', async () => {
    const random = new Random(7);
    const positions = 6;
    const K = 5;
    const codes = Array.from({ length: 40 * positions }, () => Math.floor(random.next() * K));
    const embedding = oneHotCodes(codes, 40, positions, K);
    assert.equal(embedding.latentDim, positions * K);
    const found = await nearestNeighbours(embedding, embedding, 3, { excludeSelf: true });
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 3; j++) {
        const other = found.indices[i * 3 + j];
        let hamming = 0;
        for (let p = 0; p < positions; p++) if (codes[i * positions + p] !== codes[other * positions + p]) hamming++;
        assert.ok(Math.abs(found.distances[i * 3 + j] - 2 * hamming) < 1e-4, `code ${i}, neighbour ${other}: ${found.distances[i * 3 + j]} vs 2 x ${hamming}`);
      }
      // The nearest in Hamming distance: no other code differs in fewer positions.
      let fewest = Infinity;
      for (let o = 0; o < 40; o++) {
        if (o === i) continue;
        let hamming = 0;
        for (let p = 0; p < positions; p++) if (codes[i * positions + p] !== codes[o * positions + p]) hamming++;
        fewest = Math.min(fewest, hamming);
      }
      assert.ok(Math.abs(found.distances[i * 3] - 2 * fewest) < 1e-4);
    }
    assert.throws(() => oneHotCodes([0, 5], 1, 2, 5), /position 1 is 5, expected 0..4/);
    assert.throws(() => oneHotCodes([0, 1, 2], 1, 2, 5), /expected 1 x 2 indices, got 3/);
  });
});

describe('neighbourVote', () => {
  it('takes the majority label, a tie going to the label of the nearer neighbour', () => {
    const labels = [0, 1, 1, 2, 0];
    const neighbours = (rows: number[][]) => ({ indices: Int32Array.from(rows.flat()), distances: new Float32Array(rows.flat().length), count: rows.length, k: rows[0].length });
    assert.deepEqual(Array.from(neighbourVote(neighbours([[1, 2, 0], [0, 4, 1], [3, 1, 2]]), labels)), [1, 0, 1]);
    // Two votes each: [A, B, B, A] goes to A, whose first neighbour is nearest; [B, A, A, B] to B.
    assert.deepEqual(Array.from(neighbourVote(neighbours([[0, 1, 2, 4], [1, 0, 4, 2]]), labels)), [0, 1]);
    // One neighbour: its label.
    assert.deepEqual(Array.from(neighbourVote(neighbours([[3], [4]]), labels)), [2, 0]);
    assert.throws(() => neighbourVote(neighbours([[7]]), labels), /neighbour 7 has no label/);
    // scikit-learn's rule: a tie goes to the smallest label. [B, A, A, B] with A = 0: 0; [2, 1, 0]: 0.
    assert.deepEqual(Array.from(neighbourVote(neighbours([[1, 0, 4, 2], [3, 1, 0, 4]]), labels, { ties: 'smallest' })), [0, 0]);
  });
});
