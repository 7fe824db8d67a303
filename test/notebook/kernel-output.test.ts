import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// Only core/output is imported up front: src/notebook/display (which registers tslab's writer) is
// imported by the last test, so the first ones see a process where nothing registered, like a
// plain Node script that imports src/training directly.
import { emit, inNotebook, liveOutputAvailable, ProgressLine, setKernelOutput, type DisplayBundle } from '../../src/core/output';

/** Runs `body` with `stream.write` captured; returns what was written. */
function capture(stream: NodeJS.WriteStream, body: () => void): string {
  const original = stream.write;
  let written = '';
  stream.write = ((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  }) as typeof stream.write;
  try {
    body();
  } finally {
    stream.write = original;
  }
  return written;
}

describe('kernel output registration (core/output.ts)', () => {
  it('with nothing registered: not a notebook, a ProgressLine writes to the terminal, emit prints the text', () => {
    assert.equal(inNotebook(), false);
    assert.equal(liveOutputAvailable(), process.stderr.isTTY === true);
    const progress = capture(process.stderr, () => {
      const line = new ProgressLine({ minIntervalMs: 0 });
      line.update('epoch 1/2');
      line.done('done in 1s');
    });
    assert.match(progress, /epoch 1\/2/);
    assert.match(progress, /done in 1s\n$/);
    const printed = capture(process.stdout, () => emit({ data: { 'text/plain': 'a table', 'text/html': '<table/>' }, metadata: {} }));
    assert.equal(printed, 'a table\n');
  });

  it('with a registered kernel writer: bundles reach it, and removing it restores the terminal', () => {
    const received: Array<{ bundle: DisplayBundle; update: boolean }> = [];
    const previous = setKernelOutput({ writer: () => (bundle, update) => received.push({ bundle, update }), inKernel: () => true });
    try {
      assert.equal(inNotebook(), true);
      assert.equal(liveOutputAvailable(), true);
      const terminal = capture(process.stderr, () => {
        const line = new ProgressLine({ minIntervalMs: 0 });
        line.update('epoch 1/2');
        line.done('done <in> 1s');
      });
      assert.equal(terminal, '', 'nothing on the terminal');
      emit({ data: { 'text/plain': 'figure' }, metadata: {} });
    } finally {
      setKernelOutput(previous);
    }
    assert.equal(received.length, 3);
    const [first, last, figure] = received;
    assert.equal(first.update, false);
    assert.equal(last.update, true, 'the final text replaces the line');
    assert.ok(first.bundle.transient?.display_id !== undefined);
    assert.equal(last.bundle.transient?.display_id, first.bundle.transient?.display_id);
    assert.equal(last.bundle.data['text/plain'], 'done <in> 1s');
    assert.match(last.bundle.data['text/html'] as string, /done &lt;in&gt; 1s/);
    assert.deepEqual(figure, { bundle: { data: { 'text/plain': 'figure' }, metadata: {} }, update: false });
    assert.equal(inNotebook(), false, 'back to the terminal once removed');
  });

  it("importing src/notebook/display registers tslab's writer, read from tslab's dist/jupyter module", async () => {
    const jupyterPath = require.resolve('tslab/dist/jupyter');
    assert.equal(require.cache[jupyterPath], undefined, 'tslab is not loaded in this test process');
    // Stands in for the running kernel's tslab module; tslab swaps its writer at each execution.
    const tslab: { lastWriteDisplayData: ((bundle: DisplayBundle, update: boolean) => void) | null } = { lastWriteDisplayData: null };
    require.cache[jupyterPath] = { exports: tslab } as NodeJS.Module;
    try {
      const display = await import('../../src/notebook/display');
      const registered = setKernelOutput(null);
      setKernelOutput(registered);
      assert.notEqual(registered, null, 'display.ts registered a kernel output');
      assert.equal(display.inNotebook, inNotebook, 'the public inNotebook is the one in core/output');
      assert.equal(inNotebook(), false, 'no writer yet: not in a kernel');
      const received: DisplayBundle[] = [];
      tslab.lastWriteDisplayData = (bundle) => received.push(bundle);
      assert.equal(inNotebook(), true);
      const terminal = capture(process.stderr, () => new ProgressLine().done('trained'));
      assert.equal(terminal, '');
      assert.equal(received.length, 1);
      assert.equal(received[0].data['text/plain'], 'trained');
    } finally {
      delete require.cache[jupyterPath];
    }
    assert.equal(inNotebook(), false, 'tslab gone: not a notebook');
  });
});
