import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseIdx, readIdxFile } from '../../src/data/idx';

function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replearn-idx-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('IDX reader', () => {
  it('reads unsigned bytes with their shape', () => {
    const file = path.join(dir, 'ok-idx3-ubyte');
    fs.writeFileSync(file, idx(0x08, [2, 2, 3], Uint8Array.from({ length: 12 }, (_, i) => i * 20)));
    const a = readIdxFile(file);
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(a.shape, [2, 2, 3]);
    assert.deepEqual([...a.data], Array.from({ length: 12 }, (_, i) => i * 20));
  });

  it('reads big-endian int32 and float32 values', () => {
    const body = new Uint8Array(8);
    new DataView(body.buffer).setInt32(0, -123456, false);
    new DataView(body.buffer).setInt32(4, 7, false);
    assert.deepEqual([...parseIdx(idx(0x0c, [2], body), 'i32').data], [-123456, 7]);
    const fbody = new Uint8Array(4);
    new DataView(fbody.buffer).setFloat32(0, 1.5, false);
    assert.deepEqual([...parseIdx(idx(0x0d, [1], fbody), 'f32').data], [1.5]);
  });

  it('names the file and the problem for a truncated file', () => {
    const file = path.join(dir, 'truncated-idx1-ubyte');
    fs.writeFileSync(file, idx(0x08, [10], new Uint8Array(7)));
    assert.throws(() => readIdxFile(file), (e: Error) => e.message.includes(file) && /truncated: 15 bytes, expected 18/.test(e.message));
  });

  it('rejects a wrong magic number, an unknown type, trailing bytes and a short header', () => {
    const good = idx(0x08, [3], new Uint8Array(3));
    const badMagic = good.slice();
    badMagic[0] = 0x1f;
    assert.throws(() => parseIdx(badMagic, 'gz-file'), /gz-file: not an IDX file: magic number starts with 0x1f00/);
    const badType = good.slice();
    badType[2] = 0x07;
    assert.throws(() => parseIdx(badType, 'f'), /unknown IDX type byte 0x07/);
    assert.throws(() => parseIdx(idx(0x08, [3], new Uint8Array(5)), 'f'), /has trailing bytes: 13 bytes, expected 11/);
    assert.throws(() => parseIdx(good.slice(0, 6), 'f'), /truncated IDX header/);
    assert.throws(() => parseIdx(idx(0x08, [0], new Uint8Array(0)), 'f'), /dimension 0 is 0/);
  });

  it('names a missing file', () => {
    assert.throws(() => readIdxFile(path.join(dir, 'missing')), /cannot read IDX file .*missing/);
  });
});
