import fs from 'node:fs';

/** The element types an IDX file can hold, by the type byte of its magic number. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A parsed IDX file: its element type, its dimensions and its values in row-major order. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const types: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/**
 * Parses the bytes of an IDX file (LeCun's MNIST format: two zero bytes, a type byte, the number
 * of dimensions, each dimension as a big-endian uint32, then the values big-endian). `source`
 * names the file in errors; a wrong magic number, a zero dimension or a length that does not
 * match the header is an error.
 */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4) throw new Error(`${source}: not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${source}: not an IDX file: magic number starts with 0x${hex(bytes[0])}${hex(bytes[1])}, expected 0x0000`);
  }
  const type = types[bytes[2]];
  if (type === undefined) {
    throw new Error(`${source}: unknown IDX type byte 0x${hex(bytes[2])} (expected one of 08, 09, 0b, 0c, 0d, 0e)`);
  }
  const rank = bytes[3];
  if (rank === 0) throw new Error(`${source}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(`${source}: truncated IDX header: ${bytes.length} bytes, the header of a ${rank}-dimensional file needs ${headerBytes}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    if (size === 0) throw new Error(`${source}: IDX dimension ${d} is 0`);
    shape.push(size);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(
      `${source}: IDX file ${what}: ${bytes.length} bytes, expected ${expected} for ${type.dtype} [${shape.join(', ')}] (${headerBytes}-byte header)`,
    );
  }
  return { dtype: type.dtype, shape, data: readValues(view, headerBytes, count, type.dtype) };
}

/** Reads and parses the IDX file at `path`; a missing file is an error naming it. */
export function readIdxFile(path: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read IDX file ${path}: ${(error as Error).message}`);
  }
  return parseIdx(bytes, path);
}

/** Bytes per value and type byte of each IDX element type. */
export const idxTypeInfo: Record<IdxDtype, { code: number; bytes: number }> = Object.fromEntries(
  Object.entries(types).map(([code, t]) => [t.dtype, { code: Number(code), bytes: t.bytes }]),
) as Record<IdxDtype, { code: number; bytes: number }>;

/** The header of an IDX file: element type, shape, and where the values start. */
export interface IdxHeader {
  readonly dtype: IdxDtype;
  readonly shape: readonly number[];
  readonly headerBytes: number;
}

/**
 * Reads only the header of the IDX file open as `fd` (for streaming its values later); `source`
 * names the file in errors. A file whose size does not match its header is an error.
 */
export function readIdxHeader(fd: number, source: string): IdxHeader {
  const start = Buffer.alloc(4);
  if (fs.readSync(fd, start, 0, 4, 0) < 4) throw new Error(`${source}: not an IDX file: shorter than the 4-byte magic number`);
  const type = types[start[2]];
  if (start[0] !== 0 || start[1] !== 0 || type === undefined || start[3] === 0) {
    throw new Error(`${source}: not an IDX file: magic number 0x${hex(start[0])}${hex(start[1])}${hex(start[2])}${hex(start[3])}`);
  }
  const rank = start[3];
  const dims = Buffer.alloc(4 * rank);
  if (fs.readSync(fd, dims, 0, dims.length, 4) < dims.length) throw new Error(`${source}: truncated IDX header`);
  const shape = Array.from({ length: rank }, (_, d) => dims.readUInt32BE(4 * d));
  if (shape.some((d) => d === 0)) throw new Error(`${source}: an IDX dimension is 0 ([${shape.join(', ')}])`);
  const headerBytes = 4 + 4 * rank;
  const expected = headerBytes + shape.reduce((a, b) => a * b, 1) * type.bytes;
  const size = fs.fstatSync(fd).size;
  if (size !== expected) {
    throw new Error(`${source}: IDX file has ${size} bytes, expected ${expected} for ${type.dtype} [${shape.join(', ')}]`);
  }
  return { dtype: type.dtype, shape, headerBytes };
}

/** Decodes `count` big-endian values of `dtype` from `bytes` into `out` as numbers, multiplied by `scale`. */
export function decodeIdxValues(bytes: Uint8Array, dtype: IdxDtype, count: number, out: Float32Array | Int32Array, outOffset: number, scale = 1): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    let v: number;
    switch (dtype) {
      case 'uint8':
        v = bytes[i];
        break;
      case 'int8':
        v = view.getInt8(i);
        break;
      case 'int16':
        v = view.getInt16(2 * i, false);
        break;
      case 'int32':
        v = view.getInt32(4 * i, false);
        break;
      case 'float32':
        v = view.getFloat32(4 * i, false);
        break;
      case 'float64':
        v = view.getFloat64(8 * i, false);
        break;
    }
    out[outOffset + i] = v * scale;
  }
}

/** Encodes values as an IDX file of `dtype` and `shape` (the inverse of `parseIdx`). */
export function encodeIdx(dtype: IdxDtype, shape: readonly number[], values: ArrayLike<number>): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || shape.length > 255 || shape.some((d) => !Number.isSafeInteger(d) || d <= 0 || d > 0xffffffff)) {
    throw new Error(`encodeIdx: shape must be 1 to 255 positive 32-bit sizes, got [${shape.join(', ')}]`);
  }
  if (values.length !== count) throw new Error(`encodeIdx: ${values.length} values, shape [${shape.join(', ')}] needs ${count}`);
  const { code, bytes } = idxTypeInfo[dtype];
  const headerBytes = 4 + 4 * shape.length;
  const out = new Uint8Array(headerBytes + count * bytes);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const at = headerBytes + i * bytes;
    const v = values[i];
    switch (dtype) {
      case 'uint8':
        view.setUint8(at, v);
        break;
      case 'int8':
        view.setInt8(at, v);
        break;
      case 'int16':
        view.setInt16(at, v, false);
        break;
      case 'int32':
        view.setInt32(at, v, false);
        break;
      case 'float32':
        view.setFloat32(at, v, false);
        break;
      case 'float64':
        view.setFloat64(at, v, false);
        break;
    }
  }
  return out;
}

function readValues(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxArray['data'] {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0');
}
