/**
 * Lets the event loop run when at least `intervalMs` passed since the last time: TF.js reads on
 * the `cpu` and `wasm` backends resolve as microtasks, so a training loop that only awaits them
 * never gives the kernel a turn to send progress output or handle messages.
 */
export class EventLoopYielder {
  private last = performance.now();

  constructor(private readonly intervalMs = 50) {}

  /** Resolves after one turn of the event loop if the interval has passed, else at once. */
  async maybeYield(): Promise<void> {
    const now = performance.now();
    if (now - this.last < this.intervalMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
