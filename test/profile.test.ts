import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byProfile, currentProfile } from '../src/profile';

describe('currentProfile', () => {
  it('defaults to standard and reads REPLEARN_PROFILE', () => {
    assert.equal(currentProfile({}), 'standard');
    assert.equal(currentProfile({ REPLEARN_PROFILE: 'smoke' }), 'smoke');
    assert.equal(currentProfile({ REPLEARN_PROFILE: ' Full ' }), 'full');
  });

  it('rejects an unknown profile, naming the variable and the allowed values', () => {
    assert.throws(() => currentProfile({ REPLEARN_PROFILE: 'quick' }), /REPLEARN_PROFILE must be one of smoke\|standard\|full, got "quick"/);
  });

  it('picks the value for a profile', () => {
    assert.equal(byProfile({ smoke: 1, standard: 2, full: 3 }, 'full'), 3);
  });
});
