import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { check, checkClose } from '../../src/core/assert';

describe('check and checkClose', () => {
  it('check throws with the message only when the condition is false', () => {
    check(true, 'never shown');
    assert.throws(() => check(false, 'accuracy above 0.9'), /check failed: accuracy above 0\.9/);
  });

  it('checkClose accepts values within tolerance and names the first index that differs', () => {
    checkClose([1, 2.0000001], [1, 2], 1e-6, 'v');
    assert.throws(() => checkClose([1, 2.1, 3], [1, 2, 3], 1e-3, 'grad'), /grad\[1\] = 2\.1, expected 2/);
    assert.throws(() => checkClose([1], [1, 2], 1e-3, 'grad'), /grad has 1 values, expected 2/);
    assert.throws(() => checkClose([Number.NaN], [0], 1e-3, 'loss'), /loss\[0\] = NaN/);
  });
});
