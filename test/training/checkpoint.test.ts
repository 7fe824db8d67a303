import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeDataset } from '../../src/data/dataset';
import { FileDataset, writeDatasetFiles } from '../../src/data/dataset-file';
import { DenseAutoencoder } from '../../src/models/dense-autoencoder';
import { loadCheckpoint, saveCheckpoint, trainingSetFingerprint } from '../../src/training/checkpoint';
import { train } from '../../src/training/trainer';
import { saveWeights } from '../../src/training/weights';
import { trainInterrupted } from '../support/interrupted-run';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-checkpoint-'));
let sleeper: ChildProcess | undefined;
before(async () => {
  await tf.setBackend('cpu');
});
after(() => {
  if (sleeper?.pid !== undefined && sleeper.exitCode === null) process.kill(sleeper.pid);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The id of a process that has exited (and been reaped), so `process.kill(pid, 0)` throws ESRCH. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.equal(typeof child.pid, 'number');
  return child.pid as number;
}

/** The id of a live process other than this one (started once, ended after the tests). */
function livePid(): number {
  sleeper ??= spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  assert.equal(typeof sleeper.pid, 'number');
  return sleeper.pid as number;
}

const manifestOf = (ckpt: string) => path.join(ckpt, 'checkpoint.json');
const readManifest = (ckpt: string) => JSON.parse(fs.readFileSync(manifestOf(ckpt), 'utf8')) as Record<string, unknown> & { tensors: Record<string, unknown>[] };

async function saveTwo(ckpt: string): Promise<void> {
  const a = tf.tensor1d([1, 2]);
  const b = tf.tensor1d([3, 4]);
  await saveCheckpoint(ckpt, { tensors: [{ name: 'a', tensor: a }, { name: 'b', tensor: b }], meta: { kind: 'test' } });
  tf.dispose([a, b]);
}

const config = { inputDim: 4, hiddenSizes: [3], latentDim: 2, seed: 5 };
const toyData = (n: number, shift = 0) =>
  makeDataset({ x: Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i + shift)), featureShape: [4], labels: Int32Array.from({ length: n }, (_, i) => i % 2) });
const options = { train: toyData(12), validation: toyData(4, 100), epochs: 3, batchSize: 4, seed: 9, learningRate: 0.01, progress: false };

describe('checkpoint files', () => {
  it('removes the temporary files of dead processes when saving and loading, and keeps those of live ones', async () => {
    const ckpt = path.join(dir, 'tmp-files');
    await saveTwo(ckpt);
    const dead = deadPid();
    const live = livePid();
    const deadFiles = [`checkpoint-1-2-3.bin.tmp-${dead}`, `checkpoint.json.tmp-${dead}`];
    const liveFiles = [`checkpoint-4-5-6.bin.tmp-${live}`, `checkpoint.json.tmp-${live}`];
    const plant = () => [...deadFiles, ...liveFiles].forEach((f) => fs.writeFileSync(path.join(ckpt, f), 'partial'));
    const present = (f: string) => fs.existsSync(path.join(ckpt, f));
    plant();
    loadCheckpoint(ckpt);
    assert.deepEqual(deadFiles.filter(present), [], 'loading removes the dead process files');
    assert.deepEqual(liveFiles.filter(present), liveFiles, 'loading keeps the live process files');
    plant();
    await saveTwo(ckpt);
    assert.deepEqual(deadFiles.filter(present), [], 'saving removes the dead process files');
    assert.deepEqual(liveFiles.filter(present), liveFiles, 'saving keeps the live process files');
    assert.deepEqual([...(loadCheckpoint(ckpt).tensors.get('b')?.values ?? [])], [3, 4]);
  });

  it('refuses a manifest that is not a JSON object with an error naming the file', async () => {
    const ckpt = path.join(dir, 'null-manifest');
    await saveTwo(ckpt);
    for (const text of ['null', '[]', '42', '"checkpoint"']) {
      fs.writeFileSync(manifestOf(ckpt), text);
      assert.throws(() => loadCheckpoint(ckpt), (e: Error) => !(e instanceof TypeError) && e.message.includes(manifestOf(ckpt)) && /is corrupt: its manifest is not a JSON object/.test(e.message), text);
    }
  });

  it('detects any edit to the tensor table or the description in the manifest', async () => {
    const ckpt = path.join(dir, 'edited-manifest');
    await saveTwo(ckpt);
    const original = fs.readFileSync(manifestOf(ckpt), 'utf8');
    const edits: [string, (m: ReturnType<typeof readManifest>) => void][] = [
      ['swapped offsets', (m) => ([m.tensors[0].offset, m.tensors[1].offset] = [m.tensors[1].offset, m.tensors[0].offset])],
      ['swapped names', (m) => ([m.tensors[0].name, m.tensors[1].name] = [m.tensors[1].name, m.tensors[0].name])],
      ['another shape', (m) => (m.tensors[0].shape = [1, 2])],
      ['another length', (m) => (m.tensors[0].length = 1)],
      ['another dtype', (m) => (m.tensors[0].dtype = 'int32')],
      ['another meta', (m) => (m.meta = { kind: 'edited' })],
    ];
    for (const [what, edit] of edits) {
      const manifest = JSON.parse(original) as ReturnType<typeof readManifest>;
      edit(manifest);
      fs.writeFileSync(manifestOf(ckpt), JSON.stringify(manifest));
      assert.throws(() => loadCheckpoint(ckpt), /checkpoint .*checkpoint\.json is corrupt: its manifest does not match its checksum/, what);
    }
    fs.writeFileSync(manifestOf(ckpt), original);
    assert.deepEqual([...(loadCheckpoint(ckpt).tensors.get('a')?.values ?? [])], [1, 2]);
  });

  it('refuses a version 1 checkpoint, whose manifest has no checksum, with a message that says what to do', () => {
    const ckpt = path.join(dir, 'version-1');
    fs.mkdirSync(ckpt, { recursive: true });
    const bytes = new Uint8Array(Float32Array.from([1, 2]).buffer);
    fs.writeFileSync(path.join(ckpt, 'checkpoint-1.bin'), bytes);
    const manifest = {
      format: 'replearn-checkpoint',
      version: 1,
      dataFile: 'checkpoint-1.bin',
      dataBytes: 8,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      tensors: [{ name: 'a', shape: [2], offset: 0, length: 2 }],
      meta: {},
    };
    fs.writeFileSync(manifestOf(ckpt), JSON.stringify(manifest));
    assert.throws(() => loadCheckpoint(ckpt), /checkpoint\.json is a replearn-checkpoint version 1 .*this replearn reads version 2/);
  });
});

describe('the checkpoint folder lock', () => {
  const lockOf = (ckpt: string) => path.join(ckpt, 'checkpoint.lock');

  it('refuses a folder locked by another live process, naming the folder and the process', async () => {
    const ckpt = path.join(dir, 'locked');
    fs.mkdirSync(ckpt, { recursive: true });
    const live = livePid();
    fs.writeFileSync(lockOf(ckpt), `${live}\n`);
    const model = new DenseAutoencoder(config);
    await assert.rejects(train(model, { ...options, checkpointDir: ckpt }), (e: Error) => e.message.includes(ckpt) && new RegExp(`is locked by process ${live}\\b`).test(e.message));
    assert.equal(fs.readFileSync(lockOf(ckpt), 'utf8').trim(), String(live), 'the live lock is left alone');
    assert.ok(!fs.existsSync(manifestOf(ckpt)), 'nothing was written');
    model.dispose();
  });

  it('refuses a second run on the same folder while the first one runs', async () => {
    const ckpt = path.join(dir, 'concurrent');
    const model = new DenseAutoencoder(config);
    const other = new DenseAutoencoder(config);
    let secondError: Error | undefined;
    await train(model, {
      ...options,
      checkpointDir: ckpt,
      callbacks: {
        onEpochEnd: async (log) => {
          if (log.epoch !== 2) return;
          secondError = await train(other, { ...options, checkpointDir: ckpt }).then(
            () => undefined,
            (e: Error) => e,
          );
        },
      },
    });
    assert.ok(secondError !== undefined, 'the second run was refused');
    assert.ok(secondError.message.includes(ckpt) && new RegExp(`is locked by process ${process.pid}\\b`).test(secondError.message), secondError.message);
    assert.equal(loadCheckpoint(ckpt).meta.trainer !== undefined && (loadCheckpoint(ckpt).meta.trainer as { epoch: number }).epoch, 3, 'the first run finished');
    model.dispose();
    other.dispose();
  });

  it('takes over a stale lock of a dead process, and releases the lock when train resolves and when it rejects', async () => {
    const ckpt = path.join(dir, 'stale-lock');
    fs.mkdirSync(ckpt, { recursive: true });
    fs.writeFileSync(lockOf(ckpt), `${deadPid()}\n`);
    const first = new DenseAutoencoder(config);
    let heldDuringRun = '';
    await trainInterrupted(first, options, ckpt, 1, () => void (heldDuringRun = fs.readFileSync(lockOf(ckpt), 'utf8').trim()));
    assert.equal(heldDuringRun, String(process.pid), 'the run holds the lock');
    assert.ok(!fs.existsSync(lockOf(ckpt)), 'released after train rejected');
    const second = new DenseAutoencoder(config);
    const resumed = await train(second, { ...options, checkpointDir: ckpt });
    assert.equal(resumed.startEpoch, 2);
    assert.ok(!fs.existsSync(lockOf(ckpt)), 'released after train resolved');
    [first, second].forEach((m) => m.dispose());
  });
});

describe('trainingSetFingerprint', () => {
  it('is the same for equal data in memory and on disk, reads only the sampled rows, and changes with a sampled value, a label or the count', () => {
    const count = 1000;
    const data = makeDataset({ x: Float32Array.from({ length: count * 3 }, (_, i) => Math.cos(i)), featureShape: [3], labels: Int32Array.from({ length: count }, (_, i) => i % 7) });
    const paths = writeDatasetFiles(data, { x: path.join(dir, 'fp-x.idx'), labels: path.join(dir, 'fp-labels.idx') });
    const file = FileDataset.open(paths);
    const fingerprint = trainingSetFingerprint(data);
    assert.deepEqual(trainingSetFingerprint(file), fingerprint);
    assert.equal(fingerprint.sampled, 256);
    assert.equal(file.bytesRead, 256 * 3 * 4, 'only the sampled rows are read');
    file.close();
    assert.deepEqual(trainingSetFingerprint(makeDataset({ x: data.x.slice(), featureShape: [3], labels: data.labels?.slice() })), fingerprint);
    const x = data.x.slice();
    x[3 * Math.floor((5 * count) / 256) + 1] += 1e-3;
    assert.notEqual(trainingSetFingerprint(makeDataset({ x, featureShape: [3], labels: data.labels })).fnv1a, fingerprint.fnv1a, 'a sampled value');
    const labels = data.labels?.slice() ?? new Int32Array(0);
    labels[778] = 0;
    assert.notEqual(trainingSetFingerprint(makeDataset({ x: data.x, featureShape: [3], labels })).fnv1a, fingerprint.fnv1a, 'a label');
    assert.notEqual(trainingSetFingerprint(makeDataset({ x: data.x.subarray(0, 999 * 3), featureShape: [3], labels: data.labels?.subarray(0, 999) })).fnv1a, fingerprint.fnv1a, 'the count');
  });
});

describe('resuming', () => {
  it('refuses a checkpoint without trainer state instead of restarting at epoch 1 with trained weights', async () => {
    const ckpt = path.join(dir, 'no-trainer-state');
    const model = new DenseAutoencoder(config);
    await train(model, { ...options, epochs: 1, checkpointDir: ckpt });
    const saved = loadCheckpoint(ckpt);
    const { trainer: _trainer, ...meta } = saved.meta;
    const tensors = [...saved.tensors].map(([name, t]) => ({ name, tensor: tf.tensor(t.values, t.shape) }));
    await saveCheckpoint(ckpt, { tensors, meta });
    tf.dispose(tensors.map((t) => t.tensor));
    await assert.rejects(train(model, { ...options, checkpointDir: ckpt }), /checkpoint .*checkpoint\.json holds no trainer state .*resume: false/);
    const weights = path.join(dir, 'weights-only');
    await saveWeights(model, weights);
    await assert.rejects(train(model, { ...options, checkpointDir: weights }), /checkpoint .*checkpoint\.json holds no trainer state \(kind "weights"/);
    model.dispose();
  });

  it('refuses to resume with another learning rate or another training set', async () => {
    const ckpt = path.join(dir, 'other-run');
    const model = new DenseAutoencoder(config);
    await train(model, { ...options, epochs: 1, checkpointDir: ckpt });
    await assert.rejects(train(model, { ...options, learningRate: 0.02, checkpointDir: ckpt }), /written by a run with .*"learningRate":0\.01.*this run has .*learningRate 0\.02.*differs in learningRate/);
    const x = options.train.x.slice();
    x[5] += 0.5;
    const moved = makeDataset({ x, featureShape: [4], labels: options.train.labels });
    await assert.rejects(train(model, { ...options, train: moved, checkpointDir: ckpt }), /written by a run with .*this run has .*training set .*differs in training set/);
    const labels = options.train.labels?.slice() ?? new Int32Array(0);
    labels[11] = 1 - labels[11];
    const relabelled = makeDataset({ x: options.train.x, featureShape: [4], labels });
    await assert.rejects(train(model, { ...options, train: relabelled, checkpointDir: ckpt }), /differs in training set/);
    await assert.rejects(train(model, { ...options, train: toyData(13), checkpointDir: ckpt }), /differs in training set/);
    const resumed = await train(model, { ...options, train: toyData(12), checkpointDir: ckpt });
    assert.equal(resumed.startEpoch, 2, 'an equal copy of the training set resumes');
    model.dispose();
  });
});
