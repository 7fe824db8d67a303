// Where replearn's output goes: a sink set with `setDisplaySink`, else the kernel output that a
// front end registered with `setKernelOutput` (bundles of MIME types, updatable in place by display
// id), else the terminal. The trainer's progress line and the notebook helpers both write through
// it, so the trainer needs nothing from `src/notebook/`. This file knows no front end: the kernel
// integration lives in `src/notebook/display.ts`, which registers itself when imported (the public
// entry point imports it, so in a notebook it is registered before any training).

/** One Jupyter display output: MIME type to payload (strings; binary payloads base64), as in `display_data`. */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** Sends a bundle to the front end; `update` replaces the output that has the same display id. */
export type DisplaySink = (bundle: DisplayBundle, update: boolean) => void;

/** The running kernel's own display writer (same contract as `DisplaySink`). */
export type KernelWriter = (bundle: DisplayBundle, update: boolean) => void;

/** A kernel's output, as registered by the front-end integration. */
export interface KernelOutput {
  /** The kernel's current writer, or `null` when none can be reached now; asked at every output. */
  writer: () => KernelWriter | null;
  /** True when code runs inside that kernel and it can show rich output. */
  inKernel: () => boolean;
}

let injectedSink: DisplaySink | null = null;
let kernelOutput: KernelOutput | null = null;

/**
 * Replaces where displays go (tests, or another front end); `null` restores the default, which
 * writes to the registered kernel output, or prints the `text/plain` part outside a kernel.
 */
export function setDisplaySink(sink: DisplaySink | null): void {
  injectedSink = sink;
}

/**
 * Registers the kernel output (called by `src/notebook/display.ts` when it is imported); `null`
 * removes it, so output goes to the terminal. Returns the registration it replaces.
 */
export function setKernelOutput(output: KernelOutput | null): KernelOutput | null {
  const previous = kernelOutput;
  kernelOutput = output;
  return previous;
}

function kernelWriter(): KernelWriter | null {
  return kernelOutput === null ? null : kernelOutput.writer();
}

/** True when code runs inside a notebook kernel that can show rich output (or a sink is set). */
export function inNotebook(): boolean {
  return injectedSink !== null || (kernelOutput !== null && kernelOutput.inKernel());
}

/** True where a live progress line can be seen: in a notebook, or when stderr is a terminal. */
export function liveOutputAvailable(): boolean {
  return inNotebook() || process.stderr.isTTY === true;
}

/** Sends one bundle to the notebook (or prints its text outside one). */
export function emit(bundle: DisplayBundle, update = false): void {
  if (injectedSink !== null) {
    injectedSink(bundle, update);
    return;
  }
  const writer = kernelWriter();
  if (writer !== null) {
    writer(bundle, update);
    return;
  }
  const text = bundle.data['text/plain'];
  if (typeof text === 'string') process.stdout.write(`${text}\n`);
}

let displayCounter = 0;

/** A display id unique within this process, for outputs that are updated in place. */
export function newDisplayId(prefix: string): string {
  displayCounter += 1;
  return `replearn-${prefix}-${process.pid}-${Date.now().toString(36)}-${displayCounter}`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Options for `ProgressLine`. */
export interface ProgressLineOptions {
  /** Fewest milliseconds between two redraws; updates in between are skipped. Default 250. */
  minIntervalMs?: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * One line of output that updates in place (a display with an id, replaced by
 * `update_display_data`), for progress of long work. Outside a notebook it rewrites a terminal
 * line, or prints at most every ten seconds when output is not a terminal.
 */
export class ProgressLine {
  private readonly id = newDisplayId('progress');
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private shown = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private finished = false;

  constructor(options: ProgressLineOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** Shows `text`, unless the line was redrawn less than `minIntervalMs` ago and `force` is false. */
  update(text: string, force = false): void {
    if (this.finished) throw new Error('ProgressLine.update called after done()');
    const t = this.now();
    if (!force && this.shown && t - this.lastDraw < this.minIntervalMs) return;
    this.draw(text, false);
    this.lastDraw = t;
  }

  /** Shows the final `text` and ends the line; later updates are an error. */
  done(text: string): void {
    if (this.finished) return;
    this.draw(text, true);
    this.finished = true;
  }

  private draw(text: string, final: boolean): void {
    if (inNotebook()) {
      emit(
        {
          data: { 'text/plain': text, 'text/html': `<pre class="replearn-progress" style="margin:0">${escapeHtml(text)}</pre>` },
          metadata: {},
          transient: { display_id: this.id },
        },
        this.shown,
      );
    } else if (process.stderr.isTTY === true) {
      process.stderr.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    } else if (final || !this.shown || this.now() - this.lastDraw >= 10000) {
      process.stderr.write(`${text}\n`);
    }
    this.shown = true;
  }
}

/** Seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
