import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Door, type DoorAction, type DoorSettings } from '../../src/intercom/door.ts';

const settings: DoorSettings = {
  buttons: [{ name: 'bell', targets: ['sip:101@pbx'] }],
  ringTimeoutMs: 30_000,
  maxDurationMs: 60_000,
  openMs: 3000,
  codes: [],
  warnBeforeEndMs: 10_000,
};

const timers = (a: DoorAction[]) => a.filter((x) => x.type === 'start-timer' || x.type === 'cancel-timer');

describe('door: call-ending warning', () => {
  it('arms a warning timer at max_duration minus the lead time when the call is answered', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    const a = d.handle({ type: 'leg-answered', leg: 1 }, 1000);
    assert.deepEqual(timers(a), [
      { type: 'cancel-timer', name: 'ring' },
      { type: 'start-timer', name: 'max-duration', ms: 60_000 },
      { type: 'start-timer', name: 'warning', ms: 50_000 },
    ]);
  });

  it('the warning timer during the call asks to warn, then max-duration ends it', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 0);
    const w = d.handle({ type: 'timer', name: 'warning' }, 50_000);
    assert.deepEqual(
      w.filter((x) => x.type !== 'log'),
      [{ type: 'warn-ending', inMs: 10_000 }],
    );
    assert.equal(d.snapshot().call?.state, 'active');
    const end = d.handle({ type: 'timer', name: 'max-duration' }, 60_000);
    assert.ok(end.some((x) => x.type === 'hangup-leg'));
  });

  it('a call that ends early cancels the warning, and a late warning timer does nothing', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 0);
    const end = d.handle({ type: 'leg-ended', leg: 1, reason: 'bye', by: 'remote' }, 5000);
    assert.ok(end.some((x) => x.type === 'cancel-timer' && x.name === 'warning'));
    assert.deepEqual(d.handle({ type: 'timer', name: 'warning' }, 50_000), []);
    d.handle({ type: 'press' }, 60_000);
    d.handle({ type: 'leg-answered', leg: 2 }, 60_000);
    const hang = d.handle({ type: 'hangup' }, 61_000);
    assert.ok(hang.some((x) => x.type === 'cancel-timer' && x.name === 'warning'));
  });

  it('no warning when none is configured or the lead time is not shorter than the call', () => {
    for (const warnBeforeEndMs of [undefined, 0, 60_000, 90_000]) {
      const { warnBeforeEndMs: _, ...base } = settings;
      const d = new Door({ ...base, ...(warnBeforeEndMs === undefined ? {} : { warnBeforeEndMs }) });
      d.handle({ type: 'press' }, 0);
      const a = d.handle({ type: 'leg-answered', leg: 1 }, 0);
      assert.ok(!a.some((x) => x.type === 'start-timer' && x.name === 'warning'), `warnBeforeEndMs=${warnBeforeEndMs}`);
      assert.deepEqual(d.handle({ type: 'timer', name: 'warning' }, 1), []);
    }
  });
});
