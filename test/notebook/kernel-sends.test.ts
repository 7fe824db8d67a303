import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { serializeSocketSends, type ZeromqModule } from '../../src/notebook/display';

/** Fires `count` sends without awaiting, as tslab does; returns how many threw and how many failed later. */
async function burst(socket: zmq.Publisher, count: number): Promise<{ threw: number; rejected: number; sent: number }> {
  let threw = 0;
  let rejected = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    try {
      pending.push(socket.send(`message ${i}`).then(() => void (sent += 1), () => void (rejected += 1)));
    } catch {
      threw += 1;
    }
  }
  await Promise.all(pending);
  return { threw, rejected, sent };
}

describe('serializeSocketSends', () => {
  it('reproduces zeromq EBUSY under unawaited sends, and removes it while keeping every message', async () => {
    const before = new zmq.Publisher();
    await before.bind('inproc://replearn-before');
    const unpatched = await burst(before, 2000);
    before.close();
    assert.ok(unpatched.threw + unpatched.rejected > 0, `expected EBUSY without the patch, got ${JSON.stringify(unpatched)}`);

    assert.equal(serializeSocketSends(zmq as unknown as ZeromqModule), true);
    assert.equal(serializeSocketSends(zmq as unknown as ZeromqModule), true, 'patching twice is harmless');
    const after = new zmq.Publisher();
    await after.bind('inproc://replearn-after');
    const patched = await burst(after, 2000);
    after.close();
    assert.deepEqual(patched, { threw: 0, rejected: 0, sent: 2000 });
  });
});
