import { PNG } from 'pngjs';
import { checkPositiveInt } from '../core/assert';
import { glyphHeight, glyphRows, glyphWidth, textWidth } from './bitmap-font';

/** One labelled row of images: `images` holds `count` images of `height x width` values, row-major. */
export interface ImageGridRow {
  label: string;
  images: ArrayLike<number>;
}

/** Options of `imageGridPng`. */
export interface ImageGridOptions {
  rows: readonly ImageGridRow[];
  /** Image height in pixels (28 for MNIST). */
  height: number;
  /** Image width in pixels (28 for MNIST). */
  width: number;
  /** Each image pixel becomes `scale x scale` PNG pixels. Default 2. */
  scale?: number;
  /** Values mapped to black and white. Default [0, 1]; values outside are clipped. */
  range?: readonly [number, number];
  /** Draw dark strokes on white instead of white on black. Default false. */
  invert?: boolean;
}

const gap = 2;
const margin = 4;

/**
 * A grid of grey-scale images as PNG bytes, one labelled row per entry of `rows` (e.g. originals
 * over reconstructions), every row the same number of images. Labels are drawn in a 5x7 font
 * to the left of each row, so the PNG explains itself when saved on its own.
 */
export function imageGridPng(options: ImageGridOptions): Uint8Array {
  const { rows, height, width } = options;
  const scale = options.scale ?? 2;
  const [low, high] = options.range ?? [0, 1];
  if (rows.length === 0) throw new Error('imageGridPng: rows must not be empty');
  for (const [name, v] of [['height', height], ['width', width], ['scale', scale]] as const) {
    checkPositiveInt(v, `imageGridPng: ${name}`);
  }
  if (!(high > low)) throw new Error(`imageGridPng: range must be [low, high] with high > low, got [${low}, ${high}]`);
  const per = height * width;
  const counts = rows.map((row, i) => {
    if (row.images.length === 0 || row.images.length % per !== 0) {
      throw new Error(`imageGridPng: rows[${i}] ("${row.label}") has ${row.images.length} values, not a positive multiple of ${height}x${width}`);
    }
    return row.images.length / per;
  });
  if (counts.some((c) => c !== counts[0])) throw new Error(`imageGridPng: every row needs the same number of images, got ${counts.join(', ')}`);
  const count = counts[0];
  const textScale = scale >= 2 ? 2 : 1;
  const labelWidth = Math.max(...rows.map((r) => textWidth(r.label))) * textScale + (rows.some((r) => r.label.length > 0) ? 2 * margin : 0);
  const cell = height * scale;
  const pngWidth = labelWidth + count * (width * scale + gap) - gap + 2 * margin;
  const pngHeight = rows.length * (cell + gap) - gap + 2 * margin;
  const png = new PNG({ width: pngWidth, height: pngHeight, colorType: 0 });
  png.data.fill(255);
  const set = (x: number, y: number, grey: number) => {
    const at = 4 * (y * pngWidth + x);
    png.data[at] = grey;
    png.data[at + 1] = grey;
    png.data[at + 2] = grey;
    png.data[at + 3] = 255;
  };
  rows.forEach((row, r) => {
    const top = margin + r * (cell + gap);
    const textTop = top + Math.floor((cell - glyphHeight * textScale) / 2);
    [...row.label].forEach((char, c) => {
      const bits = glyphRows(char);
      for (let gy = 0; gy < glyphHeight; gy++) {
        for (let gx = 0; gx < glyphWidth; gx++) {
          if (((bits[gy] >> (glyphWidth - 1 - gx)) & 1) === 0) continue;
          for (let sy = 0; sy < textScale; sy++) {
            for (let sx = 0; sx < textScale; sx++) {
              const x = margin + (c * (glyphWidth + 1) + gx) * textScale + sx;
              const y = textTop + gy * textScale + sy;
              if (y >= 0 && y < pngHeight) set(x, y, 0);
            }
          }
        }
      }
    });
    for (let i = 0; i < count; i++) {
      const left = margin + labelWidth + i * (width * scale + gap);
      for (let py = 0; py < height; py++) {
        for (let px = 0; px < width; px++) {
          const v = Number(row.images[i * per + py * width + px]);
          const t = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - low) / (high - low))) : 0;
          const grey = Math.round(255 * (options.invert === true ? 1 - t : t));
          for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) set(left + px * scale + sx, top + py * scale + sy, grey);
        }
      }
    }
  });
  return new Uint8Array(PNG.sync.write(png, { colorType: 0 }));
}

/**
 * Columns of a weight matrix `[inputDim, units]` (row-major) as images for `imageGridPng`: the
 * columns at `units`, each scaled by its own largest absolute value so that 0 is mid-grey and the
 * strongest weight black or white. Returns `units.length * inputDim` values in [0, 1].
 */
export function weightImages(weights: ArrayLike<number>, inputDim: number, unitCount: number, units: readonly number[]): Float32Array {
  if (weights.length !== inputDim * unitCount) throw new Error(`weightImages: ${weights.length} weights, expected ${inputDim} x ${unitCount}`);
  const out = new Float32Array(units.length * inputDim);
  units.forEach((u, n) => {
    if (!Number.isInteger(u) || u < 0 || u >= unitCount) throw new Error(`weightImages: unit ${u} outside 0..${unitCount - 1}`);
    let largest = 0;
    for (let i = 0; i < inputDim; i++) largest = Math.max(largest, Math.abs(weights[i * unitCount + u]));
    for (let i = 0; i < inputDim; i++) out[n * inputDim + i] = largest === 0 ? 0.5 : 0.5 + (0.5 * weights[i * unitCount + u]) / largest;
  });
  return out;
}
