import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DialogLifetime, type EndCause } from '../../src/sip/dialog-lifetime.ts';
import { ManualTimers } from '../../src/sip/clock.ts';
import type { DialogOwner } from '../../src/sip/user-agent.ts';
import { makeUa } from './sip-harness.ts';

function claimingOwner(): DialogOwner {
  return { onInDialogRequest: () => true, onStray2xx: () => {} };
}

describe('DialogLifetime', () => {
  it('reports the first end cause only', () => {
    const { ua } = makeUa();
    const ended: EndCause[] = [];
    const life = new DialogLifetime({ ua, owner: claimingOwner(), onEnded: (c) => ended.push(c) });
    assert.equal(life.ended, false);
    assert.equal(life.end({ by: 'remote', reason: 'hung up by the other side' }), true);
    assert.equal(life.end({ by: 'local', reason: 'hung up' }), false);
    assert.deepEqual(ended, [{ by: 'remote', reason: 'hung up by the other side' }]);
    assert.equal(life.ended, true);
    assert.equal(life.released, false, 'ending does not release: a BYE may still be in flight');
  });

  it('on release clears the timers and stops what runs at that moment, removes the owner, once', () => {
    const timers = new ManualTimers();
    const removed: DialogOwner[] = [];
    const ua = { timers, removeDialogOwner: (o: DialogOwner) => removed.push(o) };
    const fired: string[] = [];
    const stopped: string[] = [];
    let guard = timers.set(1000, () => fired.push('first guard'));
    // Replaced during the call: release must clear the handle current at release time.
    timers.clear(guard);
    guard = timers.set(1000, () => fired.push('guard'));
    timers.set(2000, () => fired.push('other'));
    const repeater = { stop: () => stopped.push('repeater') };
    let released = 0;
    const owner = claimingOwner();
    const life = new DialogLifetime({
      ua,
      owner,
      onEnded: () => {},
      running: () => ({ timers: [guard, undefined], stoppables: [repeater, undefined] }),
      onRelease: () => released++,
    });
    life.release();
    life.release();
    timers.advance(5000);
    assert.deepEqual(fired, ['other']);
    assert.deepEqual(stopped, ['repeater']);
    assert.equal(released, 1);
    assert.deepEqual(removed, [owner]);
    assert.equal(life.released, true);
  });
});
