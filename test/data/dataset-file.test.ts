import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { batches } from '../../src/data/batches';
import { makeDataset, subset } from '../../src/data/dataset';
import { batchesOf, FileDataset, writeDatasetFiles } from '../../src/data/dataset-file';
import { encodeIdx, parseIdx } from '../../src/data/idx';
import { loadMnist, openMnistFile } from '../../src/data/mnist';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-file-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function toy(count: number) {
  const x = Float32Array.from({ length: count * 6 }, (_, i) => i * 0.5 - 3);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  return makeDataset({ x, featureShape: [2, 3], labels });
}

const plain = (bs: Iterable<{ x: Float32Array; labels?: Int32Array; size: number; index: number }>) =>
  [...bs].map((b) => ({ x: [...b.x], labels: b.labels === undefined ? undefined : [...b.labels], size: b.size, index: b.index }));

describe('encodeIdx', () => {
  it('writes what parseIdx reads, for every element type', () => {
    for (const dtype of ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'] as const) {
      const values = dtype === 'uint8' ? [0, 7, 255, 1] : dtype.startsWith('float') ? [0.5, -1.25, 3, 1e3] : [0, -7, 100, 1];
      const parsed = parseIdx(encodeIdx(dtype, [2, 2], values), dtype);
      assert.equal(parsed.dtype, dtype);
      assert.deepEqual(parsed.shape, [2, 2]);
      assert.deepEqual([...parsed.data], values);
    }
    assert.throws(() => encodeIdx('uint8', [2, 2], [1, 2, 3]), /3 values, shape \[2, 2\] needs 4/);
  });
});

describe('FileDataset', () => {
  const data = toy(23);
  const paths = writeDatasetFiles(data, { x: path.join(dir, 'toy-x.idx'), labels: path.join(dir, 'toy-labels.idx') });

  it('streams exactly the batches of the same dataset in memory, shuffled or not, and of a subset', () => {
    const file = FileDataset.open({ x: paths.x, labels: paths.labels });
    assert.deepEqual([file.count, ...file.featureShape], [23, 2, 3]);
    assert.equal(file.classCount, 3);
    for (const options of [{ batchSize: 5, seed: 4, epoch: 2 }, { batchSize: 8, shuffle: false }, { batchSize: 4, seed: 1, dropRemainder: true }]) {
      assert.deepEqual(plain(file.batches(options)), plain(batches(data, options)), JSON.stringify(options));
      assert.deepEqual(plain(batchesOf(file, options)), plain(batchesOf(data, options)));
    }
    const picks = [20, 3, 4, 5, 0];
    const part = file.subset(picks);
    assert.deepEqual(plain(part.batches({ batchSize: 2, seed: 3 })), plain(batches(subset(data, picks), { batchSize: 2, seed: 3 })));
    assert.deepEqual([...part.load().x], [...subset(data, picks).x]);
    file.close();
    assert.ok(part.closed, 'closing one view closes the file for all');
    assert.throws(() => part.read([0]), /toy-x\.idx: the dataset file is closed/);
  });

  it('reads from disk batch by batch: each epoch reads the inputs once', () => {
    const file = FileDataset.open({ x: paths.x });
    assert.equal(file.bytesRead, 0);
    const seen = [...file.batches({ batchSize: 10, seed: 1 })];
    assert.equal(seen.length, 3);
    assert.equal(file.bytesRead, 23 * 6 * 4);
    assert.equal(seen[0].labels, undefined);
    file.close();
  });

  it('gives errors that name the file and what is wrong', () => {
    assert.throws(() => FileDataset.open({ x: path.join(dir, 'missing.idx') }), /cannot open dataset file .*missing\.idx/);
    assert.throws(() => FileDataset.open({ x: paths.x, featureShape: [5] }), /featureShape \[5\] does not hold the 6 values per example of shape \[23, 2, 3\]/);
    const fewLabels = path.join(dir, 'few-labels.idx');
    fs.writeFileSync(fewLabels, encodeIdx('uint8', [3], [0, 1, 2]));
    assert.throws(() => FileDataset.open({ x: paths.x, labels: fewLabels }), /expected 23 integer labels .*found uint8 \[3\]/);
    const truncated = path.join(dir, 'truncated.idx');
    fs.writeFileSync(truncated, fs.readFileSync(paths.x).subarray(0, 50));
    assert.throws(() => FileDataset.open({ x: truncated }), /truncated\.idx: IDX file has 50 bytes, expected/);
    const file = FileDataset.open({ x: paths.x });
    assert.throws(() => file.read([23]), /index 23 outside 0\.\.22/);
    assert.throws(() => file.subset([-1]), /index -1 outside 0\.\.22/);
    assert.throws(() => writeDatasetFiles(makeDataset({ x: new Float32Array(4), featureShape: [2] }), { x: path.join(dir, 'a.idx'), labels: path.join(dir, 'b.idx') }), /the dataset has no labels/);
    assert.ok(fs.readdirSync(dir).every((f) => !f.includes('.tmp-')), 'no temporary files left');
    file.close();
  });

  it('writes labels in a type that holds them and refuses labels that are not class indices, naming the file, index and value', () => {
    const x = Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, 0.5, -2, 1, 2]);
    const wide = { x, featureShape: [2], count: 3, labels: Int32Array.from([300, 0, 1]) };
    const widePaths = writeDatasetFiles(wide, { x: path.join(dir, 'wide-x.idx'), labels: path.join(dir, 'wide-labels.idx') });
    const read = FileDataset.open({ x: widePaths.x, labels: widePaths.labels });
    assert.deepEqual([...(read.labels ?? [])], [300, 0, 1], 'label 300 survives the round trip');
    assert.deepEqual([...read.load().x], [...x], 'float32 holds NaN and Inf pixels');
    read.close();

    const labelsFile = path.join(dir, 'bad-labels.idx');
    const xFile = path.join(dir, 'bad-x.idx');
    const write = (labels: Int32Array, classCount?: number) => () => writeDatasetFiles({ x, featureShape: [2], count: 3, labels, classCount }, { x: xFile, labels: labelsFile });
    assert.throws(write(Int32Array.from([0, -1, 1])), /cannot write .*bad-labels\.idx: labels\[1\] is -1, expected an integer class index/);
    assert.throws(write(Int32Array.from([0, 1, 5]), 3), /bad-labels\.idx: labels\[2\] is 5, expected a class index in 0\.\.2 \(classCount 3\)/);
    assert.throws(write(Float64Array.from([0, 1.5, 1]) as unknown as Int32Array), /bad-labels\.idx: labels\[1\] is 1\.5/);
    assert.ok(!fs.existsSync(labelsFile) && !fs.existsSync(xFile), 'nothing is written when a label is refused');
  });

  it('streams the original MNIST files with the values loadMnist holds in memory', () => {
    const file = openMnistFile('test');
    const memory = loadMnist('test');
    const picks = [0, 1, 9999, 1234];
    assert.deepEqual([...file.subset(picks).load().x], [...subset(memory, picks).x]);
    assert.deepEqual([...file.subset(picks).labels!], [...subset(memory, picks).labels!]);
    assert.deepEqual(openMnistFile('train', { layout: 'image' }).featureShape, [28, 28, 1]);
    file.close();
  });
});
