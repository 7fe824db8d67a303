// Writes a mixedTabular task as raw files for peers (bench/peers/lightgbm_gbt.py):
//
//   node --import tsx test/support/write-mixed-tabular.ts DIR [--rows 2000] [--test-rows 2000] [--cols 10] [--seed 1] [--discrete]
//
// --discrete writes discreteTabular's task instead of mixedTabular's.
// DIR/train.f32 and DIR/test.f32 (row-major float32), DIR/train-labels.u8 and DIR/test-labels.u8
// (one byte per row) and DIR/meta.json ({ rows, testRows, cols, seed }). The first `rows` rows of
// the seeded stream are the training rows, the next `testRows` the test rows.
import fs from 'node:fs';
import path from 'node:path';
import { discreteTabular, mixedTabular } from './mixed-tabular';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${args[i + 1]}`);
  args.splice(i, 2);
  return value;
};
const discrete = args.includes('--discrete');
if (discrete) args.splice(args.indexOf('--discrete'), 1);
const rows = option('--rows', 2000);
const testRows = option('--test-rows', 2000);
const cols = option('--cols', 10);
const seed = option('--seed', 1);
if (args.length !== 1) throw new Error('usage: write-mixed-tabular.ts DIR [--rows N] [--test-rows N] [--cols N] [--seed N] [--discrete]');
const dir = args[0];
const all = (discrete ? discreteTabular : mixedTabular)(rows + testRows, cols, seed);
fs.mkdirSync(dir, { recursive: true });
const bytes = (a: Float32Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
fs.writeFileSync(path.join(dir, 'train.f32'), bytes(all.x.subarray(0, rows * cols)));
fs.writeFileSync(path.join(dir, 'test.f32'), bytes(all.x.subarray(rows * cols)));
fs.writeFileSync(path.join(dir, 'train-labels.u8'), bytes(all.labels.subarray(0, rows)));
fs.writeFileSync(path.join(dir, 'test-labels.u8'), bytes(all.labels.subarray(rows)));
fs.writeFileSync(path.join(dir, 'meta.json'), `${JSON.stringify({ kind: discrete ? 'discrete' : 'mixed', rows, testRows, cols, seed })}\n`);
