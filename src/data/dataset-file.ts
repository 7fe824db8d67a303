import fs from 'node:fs';
import type { BatchOptions, HostBatch } from './batches';
import { batches, batchPlans } from './batches';
import type { Dataset } from './dataset';
import { featureSize } from './dataset';
import type { IdxHeader } from './idx';
import { decodeIdxValues, encodeIdx, idxTypeInfo, readIdxFile, readIdxHeader } from './idx';

/** Where `FileDataset.open` finds a dataset on disk, and how to read it. */
export interface FileDatasetOptions {
  /** IDX file of the inputs, shaped `[count, ...]`. */
  x: string;
  /** IDX file of integer labels `[count]` (optional). */
  labels?: string;
  /** Each value read is multiplied by this, e.g. `1 / 255` for bytes. Default 1. */
  scale?: number;
  /** Shape of one example, e.g. `[784]` for 28x28 images; default the file's shape without its first dimension. */
  featureShape?: readonly number[];
  /** Number of classes; default the largest label plus one. */
  classCount?: number;
}

/** The open file behind one or more `FileDataset` views. */
interface OpenFile {
  fd: number | undefined;
  readonly source: string;
  readonly header: IdxHeader;
  readonly exampleBytes: number;
  readonly scale: number;
  bytesRead: number;
}

/**
 * A dataset that stays on disk, in IDX files (the format MNIST ships in): only the labels (a few
 * bytes per example) are held in memory; each batch's inputs are read from the file when it is
 * needed, with positioned reads. `batches` yields exactly what `batches` yields for the same
 * dataset in memory, in the same order for the same `(seed, epoch)`.
 */
export class FileDataset {
  readonly featureShape: readonly number[];
  readonly count: number;
  readonly labels?: Int32Array;
  readonly classCount?: number;

  private constructor(
    private readonly file: OpenFile,
    /** Row of the file of each example of this view. */
    private readonly rows: Int32Array,
    featureShape: readonly number[],
    labels: Int32Array | undefined,
    classCount: number | undefined,
  ) {
    this.featureShape = featureShape;
    this.count = rows.length;
    this.labels = labels;
    this.classCount = classCount;
  }

  /**
   * Opens the IDX files of a dataset. The inputs file's header and size are checked; labels must
   * be one integer per example, in `0..classCount-1`. Call `close()` when done.
   */
  static open(options: FileDatasetOptions): FileDataset {
    const source = options.x;
    let fd: number;
    try {
      fd = fs.openSync(source, 'r');
    } catch (error) {
      throw new Error(`cannot open dataset file ${source}: ${(error as Error).message}`);
    }
    try {
      const header = readIdxHeader(fd, source);
      const count = header.shape[0];
      const perExample = header.shape.slice(1).reduce((a, b) => a * b, 1);
      const featureShape = [...(options.featureShape ?? header.shape.slice(1))];
      if (featureShape.length === 0 || featureShape.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
        throw new Error(`${source}: featureShape must be positive integers, got [${featureShape.join(', ')}] (a file of shape [${header.shape.join(', ')}] needs a featureShape)`);
      }
      if (featureShape.reduce((a, b) => a * b, 1) !== perExample) {
        throw new Error(`${source}: featureShape [${featureShape.join(', ')}] does not hold the ${perExample} values per example of shape [${header.shape.join(', ')}]`);
      }
      const scale = options.scale ?? 1;
      if (!Number.isFinite(scale)) throw new Error(`scale must be a finite number, got ${scale}`);
      let labels: Int32Array | undefined;
      let classCount = options.classCount;
      if (options.labels !== undefined) {
        const array = readIdxFile(options.labels);
        if (array.shape.length !== 1 || array.shape[0] !== count || array.dtype === 'float32' || array.dtype === 'float64') {
          throw new Error(`${options.labels}: expected ${count} integer labels (one per example of ${source}), found ${array.dtype} [${array.shape.join(', ')}]`);
        }
        labels = Int32Array.from(array.data);
        let max = -1;
        labels.forEach((label, i) => {
          if (label < 0) throw new Error(`${options.labels}: label ${i} is ${label}, expected a class index >= 0`);
          max = Math.max(max, label);
        });
        classCount ??= max + 1;
        if (max >= classCount) throw new Error(`${options.labels}: labels contain class ${max}, expected classes 0..${classCount - 1}`);
      } else if (classCount !== undefined) {
        throw new Error('classCount was given without labels');
      }
      const file: OpenFile = { fd, source, header, exampleBytes: perExample * idxTypeInfo[header.dtype].bytes, scale, bytesRead: 0 };
      return new FileDataset(file, Int32Array.from({ length: count }, (_, i) => i), featureShape, labels, classCount);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Path of the inputs file. */
  get source(): string {
    return this.file.source;
  }

  /** Bytes of inputs read from disk so far, by this view and every other view of the same file. */
  get bytesRead(): number {
    return this.file.bytesRead;
  }

  /** True once `close()` was called on this or another view of the file. */
  get closed(): boolean {
    return this.file.fd === undefined;
  }

  /** The examples at `indices` (positions in this view), as a view on the same open file; nothing is read. */
  subset(indices: ArrayLike<number>): FileDataset {
    const rows = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) throw new Error(`subset: index ${j} outside 0..${this.count - 1}`);
      rows[i] = this.rows[j];
    }
    const labels = this.labels === undefined ? undefined : Int32Array.from(rows, (_, i) => (this.labels as Int32Array)[indices[i]]);
    return new FileDataset(this.file, rows, this.featureShape, labels, this.classCount);
  }

  /** Reads the inputs of the examples at `indices` (positions in this view) into `[indices.length, ...featureShape]` values. */
  read(indices: ArrayLike<number>): Float32Array {
    const fd = this.file.fd;
    if (fd === undefined) throw new Error(`${this.file.source}: the dataset file is closed`);
    const size = featureSize(this);
    const out = new Float32Array(indices.length * size);
    const { exampleBytes, header, scale } = this.file;
    let i = 0;
    while (i < indices.length) {
      // Consecutive rows are read with one call.
      const first = this.rowAt(indices[i]);
      let run = 1;
      while (i + run < indices.length && this.rowAt(indices[i + run]) === first + run) run += 1;
      const buffer = Buffer.alloc(run * exampleBytes);
      const got = fs.readSync(fd, buffer, 0, buffer.length, header.headerBytes + first * exampleBytes);
      if (got !== buffer.length) throw new Error(`${this.file.source}: short read at example ${first} (${got} of ${buffer.length} bytes): was the file changed?`);
      this.file.bytesRead += got;
      decodeIdxValues(buffer, header.dtype, run * size, out, i * size, scale);
      i += run;
    }
    return out;
  }

  /** Yields the dataset in batches read from disk, as `batches` does for a dataset in memory (same options, same order). */
  *batches(options: BatchOptions): Generator<HostBatch> {
    for (const { positions: shuffled, start, size, index } of batchPlans(this.count, options)) {
      const positions = shuffled ?? Int32Array.from({ length: size }, (_, i) => start + i);
      const labels = this.labels === undefined ? undefined : Int32Array.from(positions, (p) => (this.labels as Int32Array)[p]);
      yield { x: this.read(positions), labels, size, index };
    }
  }

  /** Reads every example into memory as a `Dataset`. */
  load(): Dataset {
    const x = this.read(Int32Array.from({ length: this.count }, (_, i) => i));
    return { x, featureShape: this.featureShape, count: this.count, labels: this.labels?.slice(), classCount: this.classCount };
  }

  /** Closes the file (for every view of it). */
  close(): void {
    if (this.file.fd !== undefined) fs.closeSync(this.file.fd);
    this.file.fd = undefined;
  }

  private rowAt(position: number): number {
    if (!Number.isInteger(position) || position < 0 || position >= this.count) throw new Error(`read: index ${position} outside 0..${this.count - 1}`);
    return this.rows[position];
  }
}

/** Where the trainer can take batches from: a dataset in memory or one streamed from disk. */
export type BatchSource = Dataset | FileDataset;

/** The batches of `source`, from memory or from disk (the same batches for the same options). */
export function batchesOf(source: BatchSource, options: BatchOptions): Iterable<HostBatch> {
  return source instanceof FileDataset ? source.batches(options) : batches(source, options);
}

/** Paths of the files `writeDatasetFiles` wrote. */
export interface DatasetFilePaths {
  x: string;
  labels?: string;
}

/**
 * Writes `dataset` as IDX files that `FileDataset.open` streams: inputs as float32
 * `[count, ...featureShape]` at `paths.x` (float32 holds every value of `x`, NaN and Inf included),
 * labels (when the dataset has them and `paths.labels` is given) as uint8 `[count]` when every
 * class fits in a byte, else int32. A label that is not a class index (not an integer, negative,
 * at or above `classCount`, beyond int32) is an error naming the file, the label's index and
 * value, checked before anything is written. Each file is written to a temporary name and
 * renamed, so a failed write leaves no half-written file.
 */
export function writeDatasetFiles(dataset: Dataset, paths: DatasetFilePaths): DatasetFilePaths {
  const labels = paths.labels === undefined ? undefined : checkedLabels(dataset, paths.labels);
  writeAtomically(paths.x, encodeIdx('float32', [dataset.count, ...dataset.featureShape], dataset.x));
  if (paths.labels === undefined || labels === undefined) return { x: paths.x };
  writeAtomically(paths.labels, encodeIdx(labels.dtype, [dataset.count], labels.values));
  return { x: paths.x, labels: paths.labels };
}

/** The dataset's labels and the smallest IDX type that holds them; a label that is not a class index is an error naming `file`. */
function checkedLabels(dataset: Dataset, file: string): { values: Int32Array; dtype: 'uint8' | 'int32' } {
  const labels = dataset.labels;
  if (labels === undefined) throw new Error(`writeDatasetFiles: labels path ${file} given, but the dataset has no labels`);
  const limit = dataset.classCount ?? 0x80000000;
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= limit) {
      const expected = dataset.classCount === undefined ? 'an integer class index in 0..2147483647' : `a class index in 0..${dataset.classCount - 1} (classCount ${dataset.classCount})`;
      throw new Error(`writeDatasetFiles: cannot write ${file}: labels[${i}] is ${label}, expected ${expected}`);
    }
    if (label > max) max = label;
  }
  return { values: labels, dtype: Math.max(max + 1, dataset.classCount ?? 0) <= 256 ? 'uint8' : 'int32' };
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new Error(`cannot write dataset file ${file}: ${(error as Error).message}`);
  }
}
