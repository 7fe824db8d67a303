import { createRequire } from 'module';
import * as path from 'path';
import { setKernelOutput, type KernelWriter } from '../core/output';

// The display sink, the notebook check and the helpers the trainer's progress line needs live in
// core/output.ts (the trainer must not import src/notebook); they are re-exported here. Everything
// that knows tslab is in this file: importing it registers tslab's kernel writer with core/output.
export { emit, escapeHtml, inNotebook, newDisplayId, setDisplaySink } from '../core/output';
export type { DisplayBundle, DisplaySink } from '../core/output';

interface TslabJupyterModule {
  lastWriteDisplayData: KernelWriter | null;
}

/**
 * The writer of the running tslab kernel. tslab's public `display` sends one MIME type per output;
 * a bundle with several (Plotly JSON plus an HTML fallback) needs the writer that `display.raw`
 * itself calls, which tslab 1.0.22 keeps in dist/jupyter.js. The kernel's own copy of tslab is
 * found from the main module first, so a replearn installed elsewhere still reaches it.
 */
function kernelWriter(): KernelWriter | null {
  for (const candidate of jupyterModulePaths()) {
    const loaded = require.cache[candidate]?.exports as TslabJupyterModule | undefined;
    // tslab replaces the writer at every execution, so it is read afresh each time.
    if (loaded !== undefined && typeof loaded.lastWriteDisplayData === 'function') return loaded.lastWriteDisplayData;
  }
  return null;
}

let modulePaths: string[] | null = null;

/** Where tslab's dist/jupyter.js can be: the kernel's copy first, then replearn's own; resolved once. */
function jupyterModulePaths(): string[] {
  if (modulePaths !== null) return modulePaths;
  const paths: string[] = [];
  const main = require.main;
  if (main !== undefined) {
    try {
      paths.push(require.resolve('tslab/dist/jupyter', { paths: [path.dirname(main.filename)] }));
    } catch {
      // The main module is not tslab's; fall back to replearn's own dependency.
    }
  }
  try {
    paths.push(require.resolve('tslab/dist/jupyter'));
  } catch {
    // tslab is not installed next to replearn either: displays print their text.
  }
  modulePaths = paths;
  return paths;
}

/** The part of a zeromq (v6) module this file patches: the socket classes tslab uses. */
export interface ZeromqModule {
  Publisher: { prototype: object };
  Router: { prototype: object };
}

type Send = (this: object, message: unknown) => Promise<void>;
const sendQueues = new WeakMap<object, Promise<unknown>>();
const serialized = Symbol.for('replearn.serializedSends');

/**
 * Makes each zeromq Publisher and Router socket (tslab's iopub and shell) wait for its previous
 * send before starting the next. zeromq 6 sends synchronously 512 times in a row, then delays one
 * send, and any send issued while that one is pending throws "Socket is busy writing" (EBUSY).
 * tslab 1.0.22 never awaits its sends, so under steady output (a progress line, a large figure)
 * the kernel died of an unhandled EBUSY. Queueing keeps the order of messages and removes the
 * race. The native `send` is read-only, so the queued one is defined on the subclasses. Returns
 * false when a class has no `send` to wrap.
 */
export function serializeSocketSends(zmq: ZeromqModule): boolean {
  let ok = true;
  for (const proto of [zmq.Publisher.prototype, zmq.Router.prototype] as Record<string | symbol, unknown>[]) {
    if (proto[serialized] === true) continue;
    const original = proto.send;
    if (typeof original !== 'function') {
      ok = false;
      continue;
    }
    const queued: Send = function (this: object, message: unknown) {
      const previous = sendQueues.get(this) ?? Promise.resolve();
      const result = previous.then(() => (original as Send).call(this, message));
      sendQueues.set(this, result.catch(() => undefined));
      return result;
    };
    Object.defineProperty(proto, 'send', { value: queued, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(proto, serialized, { value: true });
  }
  return ok;
}

/** Applies `serializeSocketSends` to the zeromq that the running tslab kernel loaded, if any. */
function guardKernelSockets(): void {
  for (const candidate of jupyterModulePaths()) {
    if (require.cache[candidate] === undefined) continue;
    try {
      const kernelRequire = createRequire(candidate);
      const zeromqPath = kernelRequire.resolve('zeromq');
      const zmq = require.cache[zeromqPath]?.exports as ZeromqModule | undefined;
      if (zmq !== undefined) serializeSocketSends(zmq);
    } catch {
      // No zeromq next to this tslab: nothing to guard.
    }
  }
}

guardKernelSockets();

// Output from core/output.ts (figures, tables, the trainer's progress line) goes to tslab's writer.
setKernelOutput({ writer: kernelWriter, inKernel: () => kernelWriter() !== null });
