import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bindAddon, convolutionModeCodes, type ConvolutionMode, type NativeAddon, type RawNativeAddon } from './signatures';

/** Where setup builds the addon: build/native/ in the package root. */
export function nativeAddonPath(): string {
  return path.join(__dirname, '..', '..', '..', 'build', 'native', 'replearn_native.node');
}

/**
 * Requires the addon's module as it is, with positional arguments (`loadNativeAddon` is what
 * kernels use); throws an Error saying why it is unavailable.
 */
export function requireNativeAddon(): RawNativeAddon {
  const file = nativeAddonPath();
  if (!fs.existsSync(file)) {
    throw new Error(`the native addon is not built (${path.relative(process.cwd(), file) || file} is missing)`);
  }
  // Idle worker threads of OpenMP (and OpenBLAS) spin by default, taking the core that the
  // JavaScript half of a training step needs: measured here, 2 threads then ran a step at half
  // the speed of 1. Both libraries read these when the addon loads; a user's own setting wins.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
  // OpenBLAS picks its kernels by CPU model, and a release older than the CPU falls back to its
  // slowest generic kernels: Debian's 0.3.21 takes this machine's Xeon (family 6, model 207) for a
  // Prescott of 2004 and runs sgemm on SSE3. Name the kernels by the instructions the CPU reports.
  if (process.env.OPENBLAS_CORETYPE === undefined) {
    const core = openblasCoreType(cpuFlags());
    if (core !== undefined) process.env.OPENBLAS_CORETYPE = core;
  }
  try {
    return require(file) as RawNativeAddon;
  } catch (error) {
    throw new Error(`the native addon at ${file} failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** The instruction-set flags the Linux kernel reports for the first CPU (empty elsewhere). */
function cpuFlags(): Set<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return new Set();
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set(line === undefined ? [] : line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

/**
 * The OpenBLAS kernel family (`OPENBLAS_CORETYPE`) for a CPU with these instruction flags:
 * SkylakeX for AVX-512 (F, BW, DQ, VL), Haswell for AVX2 with FMA; undefined otherwise, leaving
 * OpenBLAS's own detection. Both families are in OpenBLAS 0.3.10 and later and use only
 * instructions the flags show. Measured here (Xeon model 207, one thread, a 784 x 10,000 x 784
 * product): Prescott 860-1,170 ms, Haswell 170-200, SkylakeX 100-120; Cooperlake (SkylakeX plus
 * BF16 routines) was no faster for float32 and once took 2.4 s.
 */
export function openblasCoreType(flags: Set<string>): string | undefined {
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

let addon: NativeAddon | null = null;

/** Loads the addon with named parameters, on `nativeThreads()` threads; throws an Error saying why it is unavailable. */
export function loadNativeAddon(): NativeAddon {
  if (addon !== null) return addon;
  const loaded = bindAddon(requireNativeAddon(), nativeAddonPath());
  loaded.threads(nativeThreads());
  loaded.convolutionMode(nativeConvolutionMode());
  addon = loaded;
  return addon;
}

/**
 * How the addon runs convolutions: `REPLEARN_CONVOLUTION` (`auto`, `oneDNN` or `im2col`, any case),
 * default `auto`: per shape and pass, whichever of oneDNN and the addon's own im2col way measured
 * faster over its first calls (im2col alone where the addon was built without oneDNN).
 */
export function nativeConvolutionMode(env: Record<string, string | undefined> = process.env): ConvolutionMode {
  const raw = env.REPLEARN_CONVOLUTION;
  if (raw === undefined || raw.trim() === '') return 'auto';
  const mode = (Object.keys(convolutionModeCodes) as ConvolutionMode[]).find((m) => m.toLowerCase() === raw.trim().toLowerCase());
  if (mode === undefined) throw new Error(`REPLEARN_CONVOLUTION must be auto, oneDNN or im2col, got "${raw}" (how the native backend runs convolutions; unset it for auto)`);
  return mode;
}

/**
 * Threads for the addon's large products and loops: `REPLEARN_NATIVE_THREADS`, default the
 * number of cores up to 4. Products under 100 MFLOP (a dense layer at batch 128) always run on
 * one thread, where waking another costs more than it saves.
 */
export function nativeThreads(env: Record<string, string | undefined> = process.env, cores = os.availableParallelism?.() ?? os.cpus().length): number {
  const raw = env.REPLEARN_NATIVE_THREADS;
  if (raw === undefined || raw.trim() === '') return Math.max(1, Math.min(4, cores));
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || n < 1) {
    throw new Error(`REPLEARN_NATIVE_THREADS must be a positive integer, got "${raw}" (the threads of the native backend, e.g. REPLEARN_NATIVE_THREADS=2; unset it for the default)`);
  }
  return n;
}
