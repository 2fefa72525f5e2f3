// Ring stages and fallback, the voicemail guard, presses during a call, call
// limits, ending after the door opened, incoming calls and transfers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Door, type DoorAction, type DoorSettings } from '../../src/intercom/door.ts';

const base: DoorSettings = {
  buttons: [{ name: 'bell', targets: ['sip:101@pbx', 'sip:102@pbx'] }],
  ringTimeoutMs: 30_000,
  maxDurationMs: 300_000,
  openMs: 3000,
  codes: ['7394'],
};

const acts = (a: DoorAction[]) => a.filter((x) => x.type !== 'log');
const events = (a: DoorAction[]) => a.flatMap((x) => (x.type === 'log' ? [x.event] : []));
const dials = (a: DoorAction[]) => a.flatMap((x) => (x.type === 'dial' ? [`${x.leg}:${x.target}`] : []));
const hangups = (a: DoorAction[]) => a.flatMap((x) => (x.type === 'hangup-leg' ? [x.leg] : []));

describe('door: ring stages and fallback', () => {
  const staged: DoorSettings = {
    ...base,
    buttons: [
      {
        name: 'bell',
        targets: [],
        stages: [
          { targets: ['sip:101@pbx'], timeoutMs: 10_000 },
          { targets: ['sip:102@pbx'], timeoutMs: 10_000 },
          { targets: ['sip:+4917012345@pbx'], timeoutMs: 30_000, confirmMs: 8000 },
        ],
      },
    ],
  };

  it('rings the stages in sequence, each for its own timeout', () => {
    const d = new Door(staged);
    const a = d.handle({ type: 'press' }, 0);
    assert.deepEqual(dials(a), ['1:sip:101@pbx']);
    assert.ok(a.some((x) => x.type === 'start-timer' && x.name === 'ring' && x.ms === 10_000));
    const b = d.handle({ type: 'timer', name: 'ring' }, 10_000);
    assert.deepEqual(hangups(b), [1]);
    assert.deepEqual(dials(b), ['2:sip:102@pbx']);
    assert.ok(events(b).includes('call.fallback'));
    assert.equal(d.snapshot().call?.state, 'calling');
    // The cancelled first leg's end does not end the call.
    assert.deepEqual(acts(d.handle({ type: 'leg-ended', leg: 1, reason: 'cancelled', by: 'local' }, 10_010)), []);
    const c = d.handle({ type: 'timer', name: 'ring' }, 20_000);
    assert.deepEqual(dials(c), ['3:sip:+4917012345@pbx']);
    assert.ok(c.some((x) => x.type === 'start-timer' && x.name === 'ring' && x.ms === 30_000));
    const e = d.handle({ type: 'timer', name: 'ring' }, 50_000);
    assert.deepEqual(hangups(e), [3]);
    assert.ok(events(e).includes('call.no-answer'));
    assert.equal(d.snapshot().call, null);
  });

  it('a stage that fails everywhere (busy, unreachable) gives way to the next at once', () => {
    const d = new Door(staged);
    d.handle({ type: 'press' }, 0);
    const a = d.handle({ type: 'leg-ended', leg: 1, reason: '486 busy', status: 486, by: 'remote' }, 500);
    assert.deepEqual(dials(a), ['2:sip:102@pbx']);
    assert.equal(d.snapshot().call?.state, 'calling');
  });

  it('voicemail guard: the answer connects only after a key; without one the next stage (or the end) follows', () => {
    const d = new Door(staged);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'timer', name: 'ring' }, 10_000);
    d.handle({ type: 'timer', name: 'ring' }, 20_000);
    const a = d.handle({ type: 'leg-answered', leg: 3 }, 25_000);
    assert.deepEqual(acts(a), [
      { type: 'cancel-timer', name: 'ring' },
      { type: 'connect-media', leg: 3 },
      { type: 'start-timer', name: 'confirm', ms: 8000 },
    ]);
    assert.equal(d.snapshot().call?.state, 'ringing', 'not connected to the door until confirmed');
    // No key (a voicemail): hung up, and this was the last stage.
    const b = d.handle({ type: 'timer', name: 'confirm' }, 33_000);
    assert.deepEqual(hangups(b), [3]);
    assert.ok(events(b).includes('call.not-confirmed'));
    assert.equal(d.snapshot().call, null);
  });

  it('voicemail guard: any key makes the call active; the key is not part of a door code', () => {
    const d = new Door(staged);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'timer', name: 'ring' }, 10_000);
    d.handle({ type: 'timer', name: 'ring' }, 20_000);
    d.handle({ type: 'leg-answered', leg: 3 }, 25_000);
    const a = d.handle({ type: 'dtmf', digit: '5' }, 26_000);
    assert.deepEqual(acts(a), [
      { type: 'cancel-timer', name: 'confirm' },
      { type: 'start-timer', name: 'max-duration', ms: 300_000 },
    ]);
    assert.equal(d.snapshot().call?.state, 'active');
    let opened = false;
    for (const k of '7394') opened = d.handle({ type: 'dtmf', digit: k }, 27_000).some((x) => x.type === 'relay') || opened;
    assert.ok(opened);
  });
});

describe('door: presses during a call and call limits', () => {
  it("'restart' hangs up the current call and starts again", () => {
    const d = new Door({ ...base, pressDuringCall: 'restart' });
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 1000);
    const a = d.handle({ type: 'press' }, 5000);
    assert.deepEqual(hangups(a), [1]);
    assert.deepEqual(dials(a), ['3:sip:101@pbx', '4:sip:102@pbx']);
    assert.ok(events(a).includes('call.restarted'));
    assert.equal(d.snapshot().call?.state, 'calling');
  });

  it('presses closer than the minimum interval are ignored, even with restart, so a stuck button cannot redial endlessly', () => {
    const d = new Door({ ...base, pressDuringCall: 'restart', minCallIntervalMs: 10_000 });
    d.handle({ type: 'press' }, 0);
    const a = d.handle({ type: 'press' }, 3000);
    assert.deepEqual(acts(a), []);
    assert.deepEqual(events(a), ['press.ignored']);
    d.handle({ type: 'hangup' }, 4000);
    assert.deepEqual(dials(d.handle({ type: 'press' }, 9000)), []);
    assert.equal(dials(d.handle({ type: 'press' }, 10_000)).length, 2);
  });

  it('at most N calls start within the window', () => {
    const d = new Door({ ...base, callLimit: { calls: 3, windowMs: 600_000 } });
    for (const t of [0, 100_000, 200_000]) {
      assert.equal(dials(d.handle({ type: 'press' }, t)).length, 2);
      d.handle({ type: 'hangup' }, t + 1);
    }
    assert.deepEqual(dials(d.handle({ type: 'press' }, 300_000)), []);
    assert.equal(dials(d.handle({ type: 'press' }, 600_001)).length, 2);
  });
});

describe('door: ending after the door opened', () => {
  it('the call ends a configured time after the door was opened during it', () => {
    const d = new Door({ ...base, endAfterOpenMs: 5000 });
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 1000);
    const a = d.handle({ type: 'open', by: 'command' }, 2000);
    assert.ok(a.some((x) => x.type === 'start-timer' && x.name === 'after-open' && x.ms === 5000));
    const b = d.handle({ type: 'timer', name: 'after-open' }, 7000);
    assert.deepEqual(hangups(b), [1]);
    assert.ok(events(b).includes('call.end-after-open'));
    assert.equal(d.snapshot().call, null);
    // Opening with no call starts no such timer.
    assert.ok(!d.handle({ type: 'open', by: 'command' }, 8000).some((x) => x.type === 'start-timer' && x.name === 'after-open'));
  });
});

describe('door: incoming calls', () => {
  it('an allowed incoming call is answered at once when idle, refused busy otherwise', () => {
    const d = new Door(base);
    const a = d.handle({ type: 'incoming', peer: 'sip:101@pbx' }, 0);
    assert.deepEqual(acts(a).slice(0, 3), [
      { type: 'answer-incoming', leg: 1 },
      { type: 'connect-media', leg: 1 },
      { type: 'start-timer', name: 'max-duration', ms: 300_000 },
    ]);
    assert.deepEqual(d.snapshot().call, { state: 'active', peer: 'sip:101@pbx', since: 0 });
    const b = d.handle({ type: 'incoming', peer: 'sip:102@pbx' }, 10);
    assert.deepEqual(acts(b), [{ type: 'reject-incoming', leg: 2, status: 486, reason: 'Busy Here' }]);
    // The caller may open the door by code, and hanging up ends the call.
    let opened = false;
    for (const k of '7394') opened = d.handle({ type: 'dtmf', digit: k }, 20).some((x) => x.type === 'relay') || opened;
    assert.ok(opened);
    assert.ok(events(d.handle({ type: 'leg-ended', leg: 1, reason: 'bye', by: 'remote' }, 30)).includes('call.ended'));
    assert.equal(d.snapshot().call, null);
  });
});

describe('door: transfer (REFER)', () => {
  function answered(): Door {
    const d = new Door(base);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 1000);
    return d;
  }

  it('dials the new target while the old party talks, then swaps when it answers', () => {
    const d = answered();
    const a = d.handle({ type: 'transfer', leg: 1, target: 'sip:102@pbx' }, 2000);
    assert.deepEqual(acts(a), [
      { type: 'transfer-progress', leg: 1, status: 100 },
      { type: 'dial', leg: 3, target: 'sip:102@pbx' },
    ]);
    assert.deepEqual(acts(d.handle({ type: 'leg-ringing', leg: 3 }, 2100)), [{ type: 'transfer-progress', leg: 1, status: 180 }]);
    const b = d.handle({ type: 'leg-answered', leg: 3 }, 3000);
    assert.deepEqual(acts(b), [
      { type: 'transfer-progress', leg: 1, status: 200 },
      { type: 'hangup-leg', leg: 1, reason: 'transferred' },
      { type: 'connect-media', leg: 3 },
    ]);
    assert.deepEqual(d.snapshot().call, { state: 'active', peer: 'sip:102@pbx', since: 3000 });
    assert.deepEqual(acts(d.handle({ type: 'leg-ended', leg: 1, reason: 'transferred', by: 'local' }, 3100)), []);
    assert.equal(d.snapshot().call?.state, 'active');
  });

  it('when the referring party leaves first, the door keeps ringing the new target', () => {
    const d = answered();
    d.handle({ type: 'transfer', leg: 1, target: 'sip:102@pbx' }, 2000);
    const a = d.handle({ type: 'leg-ended', leg: 1, reason: 'bye', by: 'remote' }, 2100);
    assert.ok(a.some((x) => x.type === 'start-timer' && x.name === 'ring'));
    assert.equal(d.snapshot().call?.state, 'calling');
    const b = d.handle({ type: 'leg-answered', leg: 3 }, 4000);
    assert.ok(b.some((x) => x.type === 'connect-media' && x.leg === 3));
    assert.equal(d.snapshot().call?.state, 'active');
  });

  it('a failed transfer leaves the call with the referring party', () => {
    const d = answered();
    d.handle({ type: 'transfer', leg: 1, target: 'sip:109@pbx' }, 2000);
    const a = d.handle({ type: 'leg-ended', leg: 3, reason: '404 not found', status: 404, by: 'remote' }, 2100);
    assert.deepEqual(acts(a), [{ type: 'transfer-progress', leg: 1, status: 404 }]);
    assert.deepEqual(d.snapshot().call, { state: 'active', peer: 'sip:101@pbx', since: 1000 });
  });
});
