import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLoopYielder } from '../../src/core/event-loop';

describe('EventLoopYielder', () => {
  it('lets a pending macrotask run once the interval has passed, and not before', async () => {
    const yielder = new EventLoopYielder(20);
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await yielder.maybeYield();
    assert.equal(ran, false, 'within the interval nothing yields');
    const start = performance.now();
    while (performance.now() - start < 25) {
      // busy, as a training loop on the cpu backend is
    }
    await yielder.maybeYield();
    assert.equal(ran, true);
  });
});
