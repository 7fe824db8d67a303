import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { FileLock } from '../core/lock-file';
import { isProcessAlive, readPidFile, takeLockFile } from '../core/lock-file';
import type { BatchSource } from '../data/dataset-file';
import { FileDataset } from '../data/dataset-file';

/** What a checkpoint stores: named float32 tensors and a JSON description. */
export interface CheckpointContents {
  /** Tensors to save, e.g. `weights/encoder/0/w`, `optimizer/encoder/0/w/m`. */
  tensors: readonly { name: string; tensor: tf.Tensor }[];
  /** Anything JSON: model name and config, epoch, history, trainer state. */
  meta: Record<string, unknown>;
}

/** A checkpoint read back: tensor values by name and the JSON description. */
export interface LoadedCheckpoint {
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
  meta: Record<string, unknown>;
  /** Path of the checkpoint's manifest, for messages. */
  source: string;
}

const manifestName = 'checkpoint.json';
const lockName = 'checkpoint.lock';
const format = 'replearn-checkpoint';
const version = 2;
/** Temporary files of `writeAtomically`: `<manifest or data file>.tmp-<pid>`. */
const temporaryPattern = /^(?:checkpoint\.json|checkpoint-[^/\\]+\.bin)\.tmp-(\d+)$/;
const dataFilePattern = /^checkpoint-[^/\\]+\.bin$/;

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Position and size in the data file, in float32 values. */
  offset: number;
  length: number;
}

interface Manifest {
  format: string;
  version: number;
  dataFile: string;
  dataBytes: number;
  /** SHA-256 of the data file. */
  sha256: string;
  tensors: TensorEntry[];
  meta: Record<string, unknown>;
  /** SHA-256 of `stableJson` of every other field of the manifest, so the tensor table and `meta` cannot change unnoticed. */
  manifestSha256: string;
}

/** JSON with object keys sorted, so that equal configs compare equal as text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** True when `dir` holds a checkpoint manifest. */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, manifestName));
}

/**
 * Writes a checkpoint to `dir` atomically, without tfjs-node: the values go to a new data file
 * and the manifest (names, shapes, dtypes, offsets, SHA-256 of the data, `meta`, and a SHA-256 of
 * all that) is written to a temporary name and renamed over the old one, so an interrupted save
 * leaves the previous checkpoint intact. Older data files, and temporary files left by processes
 * that no longer run, are removed. A folder locked by another live process (see
 * `lockCheckpointDir`) is refused.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const holder = readPidFile(path.join(dir, lockName));
  if (holder !== undefined && holder !== process.pid && isProcessAlive(holder)) throw new Error(lockedMessage(dir, holder));
  removeStaleTemporaryFiles(dir);
  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of contents.tensors) {
    if (tensor.dtype !== 'float32') throw new Error(`saveCheckpoint: tensor ${name} is ${tensor.dtype}, only float32 is stored`);
    const values = (await tensor.data()) as Float32Array;
    entries.push({ name, shape: [...tensor.shape], dtype: 'float32', offset, length: values.length });
    chunks.push(values);
    offset += values.length;
  }
  const data = new Float32Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  const bytes = new Uint8Array(data.buffer);
  const stamp = `${Date.now()}-${process.pid}-${Math.floor(performance.now() * 1000)}`;
  const dataFile = `checkpoint-${stamp}.bin`;
  await writeAtomically(path.join(dir, dataFile), bytes);
  // The checksum covers the manifest as it will be read back (JSON drops undefined fields).
  const body = JSON.parse(
    JSON.stringify({ format, version, dataFile, dataBytes: bytes.length, sha256: sha256Hex(bytes), tensors: entries, meta: contents.meta }),
  ) as Record<string, unknown>;
  const manifest = { ...body, manifestSha256: sha256Hex(stableJson(body)) };
  await writeAtomically(path.join(dir, manifestName), Buffer.from(JSON.stringify(manifest)));
  for (const name of fs.readdirSync(dir)) {
    if (dataFilePattern.test(name) && name !== dataFile) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * Reads the checkpoint in `dir`; a missing, unreadable, truncated or altered checkpoint (data or
 * manifest) is an error that says which. Removes temporary files left by dead processes. Reads
 * version 2 only: a version 1 checkpoint (older replearn, no checksum of its manifest) is refused.
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const source = path.join(dir, manifestName);
  if (!fs.existsSync(source)) throw new Error(`no checkpoint at ${dir} (missing ${manifestName})`);
  removeStaleTemporaryFiles(dir);
  const manifest = parseManifest(fs.readFileSync(source, 'utf8'), source);
  const dataPath = path.join(dir, manifest.dataFile);
  if (!fs.existsSync(dataPath)) throw new Error(`checkpoint ${source} is corrupt: its data file ${manifest.dataFile} is missing`);
  const bytes = fs.readFileSync(dataPath);
  if (bytes.length !== manifest.dataBytes) {
    throw new Error(`checkpoint ${source} is corrupt: ${manifest.dataFile} has ${bytes.length} bytes, the manifest says ${manifest.dataBytes}`);
  }
  if (sha256Hex(bytes) !== manifest.sha256) throw new Error(`checkpoint ${source} is corrupt: ${manifest.dataFile} does not match its SHA-256`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of manifest.tensors) {
    tensors.set(t.name, { shape: t.shape, values: all.subarray(t.offset, t.offset + t.length) });
  }
  return { tensors, meta: manifest.meta, source };
}

/** A lock on a checkpoint folder held by this process (`<dir>/checkpoint.lock`); see `lockCheckpointDir`. */
export type CheckpointLock = FileLock;

/**
 * Locks `dir` (created if needed) for one training run, so that two runs cannot overwrite each
 * other's checkpoints: creates `checkpoint.lock` holding this process's id with the exclusive flag.
 * A lock whose process no longer runs (or that holds no process id) is stale and taken over; a lock
 * of a live process, this one included, is an error naming the folder and the process. Also
 * removes temporary files left by dead processes.
 */
export function lockCheckpointDir(dir: string): CheckpointLock {
  fs.mkdirSync(dir, { recursive: true });
  removeStaleTemporaryFiles(dir);
  return takeLockFile(path.join(dir, lockName), (pid) => lockedMessage(dir, pid));
}

/** What `trainingSetFingerprint` returns: JSON, stored with a training checkpoint's run. */
export interface TrainingSetFingerprint {
  count: number;
  featureShape: number[];
  /** How many examples the hash reads: all of them up to 256, else 256 spread evenly. */
  sampled: number;
  /** FNV-1a (32 bits, hex) of the count, the feature shape, every label and every value of the sampled examples. */
  fnv1a: string;
}

/**
 * A cheap fingerprint of a training set, so that a run resumes only on the data it started on: it
 * covers the count, the feature shape, every label, and every value of up to 256 examples at evenly
 * spaced positions (about 0.2M values for MNIST, a few milliseconds; a `FileDataset` reads just
 * those rows). A change confined to inputs of examples that are not sampled goes unnoticed. Equal
 * data in memory and streamed from disk have the same fingerprint.
 */
export function trainingSetFingerprint(source: BatchSource): TrainingSetFingerprint {
  const { count } = source;
  const featureShape = [...source.featureShape];
  const size = featureShape.reduce((a, b) => a * b, 1);
  const sampled = Math.min(count, 256);
  const positions = Int32Array.from({ length: sampled }, (_, j) => Math.floor((j * count) / sampled));
  let values: Float32Array;
  if (source instanceof FileDataset) {
    values = source.read(positions);
  } else {
    values = new Float32Array(sampled * size);
    positions.forEach((p, j) => values.set(source.x.subarray(p * size, (p + 1) * size), j * size));
  }
  let hash = fnv1a(0x811c9dc5, bytesOf(Int32Array.from([count, sampled, featureShape.length, ...featureShape])));
  hash = fnv1a(hash, bytesOf(source.labels ?? new Int32Array(0)));
  hash = fnv1a(hash, bytesOf(values));
  return { count, featureShape, sampled, fnv1a: hash.toString(16).padStart(8, '0') };
}

function bytesOf(array: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function fnv1a(seed: number, bytes: Uint8Array): number {
  let hash = seed;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Checks everything in a manifest before any of it is used; each problem names the file. */
function parseManifest(text: string, source: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`checkpoint ${source} is corrupt: its manifest is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(raw)) {
    throw new Error(`checkpoint ${source} is corrupt: its manifest is not a JSON object (got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw).slice(0, 40)})`);
  }
  if (raw.format !== format) throw new Error(`${source} is not a ${format} (format ${JSON.stringify(raw.format) ?? 'missing'})`);
  if (raw.version === 1) {
    throw new Error(
      `${source} is a ${format} version 1 (written by an older replearn, without a checksum of its manifest or the learning rate and training set of its run); this replearn reads version ${version} only: train again with resume: false, or save the weights again`,
    );
  }
  if (raw.version !== version) throw new Error(`${source} is a ${format} version ${JSON.stringify(raw.version) ?? 'missing'}; this replearn reads version ${version}`);
  const { manifestSha256, ...body } = raw;
  if (manifestSha256 !== sha256Hex(stableJson(body))) {
    throw new Error(`checkpoint ${source} is corrupt: its manifest does not match its checksum (manifestSha256): it was edited or damaged after it was written`);
  }
  const corrupt = (field: string, value: unknown, expected: string) =>
    new Error(`checkpoint ${source} is corrupt: its manifest's ${field} is ${JSON.stringify(value) ?? 'missing'}, expected ${expected}`);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const { dataFile, dataBytes, sha256, tensors, meta } = body;
  if (typeof dataFile !== 'string' || !dataFilePattern.test(dataFile)) throw corrupt('dataFile', dataFile, 'a file name checkpoint-*.bin');
  if (!isCount(dataBytes) || dataBytes % 4 !== 0) throw corrupt('dataBytes', dataBytes, 'a multiple of 4');
  if (typeof sha256 !== 'string') throw corrupt('sha256', sha256, 'a hex string');
  if (!isObject(meta)) throw corrupt('meta', meta, 'an object');
  if (!Array.isArray(tensors)) throw corrupt('tensors', tensors, 'an array');
  const names = new Set<string>();
  tensors.forEach((t: unknown, i) => {
    const what = `tensors[${i}]`;
    if (!isObject(t) || typeof t.name !== 'string' || names.has(t.name)) throw corrupt(what, t, 'an object with a unique name');
    names.add(t.name);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) throw corrupt(`${what}.shape`, t.shape, 'an array of sizes');
    if (t.dtype !== 'float32') throw corrupt(`${what}.dtype`, t.dtype, '"float32"');
    const length = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (t.length !== length) throw corrupt(`${what}.length`, t.length, `${length} (the product of its shape)`);
    if (!isCount(t.offset) || t.offset + length > dataBytes / 4) throw corrupt(`${what}.offset`, t.offset, `a position with ${length} values before the end of the ${dataBytes / 4} values`);
  });
  return { format, version, dataFile, dataBytes, sha256, tensors: tensors as TensorEntry[], meta, manifestSha256: manifestSha256 as string };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Removes `*.tmp-<pid>` files of checkpoint saves whose process no longer runs (a save killed midway). */
function removeStaleTemporaryFiles(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const match = temporaryPattern.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !isProcessAlive(pid)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function lockedMessage(dir: string, pid: number): string {
  const who = pid === process.pid ? 'this process: another train call on this folder has not finished' : 'another process, probably another training run';
  return (
    `checkpointDir ${dir} is locked by process ${pid} (${who}); two runs on one folder overwrite each other's checkpoints. ` +
    `Wait for that run to end or use another checkpointDir (if process ${pid} is not a replearn run, delete ${path.join(dir, lockName)})`
  );
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    const handle = await fs.promises.open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}
