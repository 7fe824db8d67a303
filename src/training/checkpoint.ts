import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';

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
const format = 'replearn-checkpoint';
const version = 1;

interface Manifest {
  format: string;
  version: number;
  dataFile: string;
  dataBytes: number;
  sha256: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  meta: Record<string, unknown>;
}

/** True when `dir` holds a checkpoint manifest. */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, manifestName));
}

/**
 * Writes a checkpoint to `dir` atomically, without tfjs-node: the values go to a new data file
 * and the manifest (names, shapes, offsets, SHA-256 of the data, `meta`) is written to a
 * temporary name and renamed over the old one, so an interrupted save leaves the previous
 * checkpoint intact. Older data files are removed afterwards.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const entries: Manifest['tensors'] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of contents.tensors) {
    if (tensor.dtype !== 'float32') throw new Error(`saveCheckpoint: tensor ${name} is ${tensor.dtype}, only float32 is stored`);
    const values = (await tensor.data()) as Float32Array;
    entries.push({ name, shape: [...tensor.shape], offset, length: values.length });
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
  const manifest: Manifest = {
    format,
    version,
    dataFile,
    dataBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    tensors: entries,
    meta: contents.meta,
  };
  await writeAtomically(path.join(dir, manifestName), Buffer.from(JSON.stringify(manifest)));
  for (const name of fs.readdirSync(dir)) {
    if (/^checkpoint-.*\.bin$/.test(name) && name !== dataFile) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Reads the checkpoint in `dir`; a missing, unreadable, truncated or altered checkpoint is an error that says which. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const source = path.join(dir, manifestName);
  if (!fs.existsSync(source)) throw new Error(`no checkpoint at ${dir} (missing ${manifestName})`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(source, 'utf8')) as Manifest;
  } catch (error) {
    throw new Error(`checkpoint ${source} is corrupt: its manifest is not valid JSON (${(error as Error).message})`);
  }
  if (manifest.format !== format || manifest.version !== version) {
    throw new Error(`${source} is not a ${format} version ${version} (format ${String(manifest.format)}, version ${String(manifest.version)})`);
  }
  const dataPath = path.join(dir, manifest.dataFile);
  if (!fs.existsSync(dataPath)) throw new Error(`checkpoint ${source} is corrupt: its data file ${manifest.dataFile} is missing`);
  const bytes = fs.readFileSync(dataPath);
  if (bytes.length !== manifest.dataBytes) {
    throw new Error(`checkpoint ${source} is corrupt: ${manifest.dataFile} has ${bytes.length} bytes, the manifest says ${manifest.dataBytes}`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== manifest.sha256) throw new Error(`checkpoint ${source} is corrupt: ${manifest.dataFile} does not match its SHA-256`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of manifest.tensors) {
    tensors.set(t.name, { shape: t.shape, values: all.subarray(t.offset, t.offset + t.length) });
  }
  return { tensors, meta: manifest.meta, source };
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  const handle = await fs.promises.open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temporary, file);
}
