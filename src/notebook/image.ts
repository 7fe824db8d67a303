import { emit } from './display';

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Options for `showPng`. */
export interface PngOptions {
  /** What the image shows, for `text/plain` and screen readers. */
  alt: string;
  /** Display width in CSS pixels (the image is scaled, pixelated for small grids). */
  width?: number;
}

/** Reads width and height from a PNG's IHDR chunk; throws when `bytes` is not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24 || pngSignature.some((b, i) => bytes[i] !== b)) {
    throw new Error(`showPng: bytes are not a PNG (expected the 8-byte PNG signature, got ${bytes.length} bytes starting ${Array.from(bytes.slice(0, 8)).join(',')})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Shows PNG bytes as an image output. */
export function showPng(bytes: Uint8Array, options: PngOptions): void {
  const size = pngSize(bytes);
  const metadata: Record<string, unknown> = {};
  if (options.width !== undefined) metadata['image/png'] = { width: options.width };
  emit({
    data: { 'image/png': Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), 'text/plain': `${options.alt} (PNG ${size.width}x${size.height})` },
    metadata,
  });
}
