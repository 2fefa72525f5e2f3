import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Door, type DoorAction, type DoorSettings } from '../../src/intercom/door.ts';

const settings: DoorSettings = {
  buttons: [
    { name: 'bell', targets: ['sip:101@pbx', 'sip:102@pbx'] },
    { name: 'shop', targets: ['sip:200@pbx'] },
  ],
  ringTimeoutMs: 30_000,
  maxDurationMs: 300_000,
  openMs: 3000,
  codes: ['7394'],
};

const kinds = (a: DoorAction[]) => a.filter((x) => x.type !== 'log').map((x) => JSON.stringify(x));

describe('door behaviour', () => {
  it('rings every target of the first button in parallel and starts the ring timer', () => {
    const d = new Door(settings);
    const a = d.handle({ type: 'press' }, 0);
    assert.deepEqual(kinds(a), [
      JSON.stringify({ type: 'dial', leg: 1, target: 'sip:101@pbx' }),
      JSON.stringify({ type: 'dial', leg: 2, target: 'sip:102@pbx' }),
      JSON.stringify({ type: 'start-timer', name: 'ring', ms: 30_000 }),
    ]);
    assert.equal(d.snapshot().call?.state, 'calling');
  });

  it('a named button calls its own targets; an unknown one does nothing', () => {
    const d = new Door(settings);
    assert.deepEqual(kinds(d.handle({ type: 'press', button: 'nope' }, 0)), []);
    const a = d.handle({ type: 'press', button: 'shop' }, 0);
    assert.ok(a.some((x) => x.type === 'dial' && x.target === 'sip:200@pbx'));
  });

  it('first answer wins: the other legs are cancelled and media connects', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-ringing', leg: 1 }, 100);
    assert.equal(d.snapshot().call?.state, 'ringing');
    const a = d.handle({ type: 'leg-answered', leg: 2 }, 5000);
    assert.deepEqual(kinds(a), [
      JSON.stringify({ type: 'cancel-timer', name: 'ring' }),
      JSON.stringify({ type: 'hangup-leg', leg: 1, reason: 'answered elsewhere' }),
      JSON.stringify({ type: 'connect-media', leg: 2 }),
      JSON.stringify({ type: 'start-timer', name: 'max-duration', ms: 300_000 }),
    ]);
    assert.deepEqual(d.snapshot().call, { state: 'active', peer: 'sip:102@pbx', since: 5000 });
    // The cancelled leg's end does not end the call.
    assert.deepEqual(kinds(d.handle({ type: 'leg-ended', leg: 1, reason: 'cancelled', by: 'local' }, 5100)), []);
    assert.equal(d.snapshot().call?.state, 'active');
  });

  it('presses while ringing or talking do not start another call', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    assert.deepEqual(kinds(d.handle({ type: 'press' }, 10)), []);
    d.handle({ type: 'leg-answered', leg: 1 }, 100);
    assert.deepEqual(kinds(d.handle({ type: 'press' }, 200)), []);
  });

  it('the ring timeout cancels every leg and logs no-answer', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    const a = d.handle({ type: 'timer', name: 'ring' }, 30_000);
    assert.ok(a.some((x) => x.type === 'log' && x.event === 'call.no-answer'));
    assert.deepEqual(
      a.filter((x) => x.type === 'hangup-leg').map((x) => (x as { leg: number }).leg),
      [1, 2],
    );
    assert.equal(d.snapshot().call, null);
  });

  it('the call ends when all legs fail, with the cause logged', () => {
    const d = new Door(settings);
    d.handle({ type: 'press' }, 0);
    const a1 = d.handle({ type: 'leg-ended', leg: 1, reason: '486 busy', status: 486, by: 'remote' }, 10);
    assert.ok(a1.some((x) => x.type === 'log' && x.event === 'call.leg-failed'));
    assert.notEqual(d.snapshot().call, null);
    const a2 = d.handle({ type: 'leg-ended', leg: 2, reason: '480 temporarily unavailable', status: 480, by: 'remote' }, 20);
    const end = a2.find((x) => x.type === 'log' && x.event === 'call.ended');
    assert.ok(end && end.type === 'log' && end.fields.status === 480);
    assert.equal(d.snapshot().call, null);
  });

  it('the remote hanging up ends an active call with its duration', () => {
    const d = new Door(settings);
    d.handle({ type: 'press', button: 'shop' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 1000);
    const a = d.handle({ type: 'leg-ended', leg: 1, reason: 'hung up by the other side', by: 'remote' }, 13_000);
    const end = a.find((x) => x.type === 'log' && x.event === 'call.ended');
    assert.ok(end && end.type === 'log' && end.fields.durationS === 12 && end.fields.by === 'remote');
  });

  it('hangup from the door ends an active call; the max duration too', () => {
    const d = new Door(settings);
    d.handle({ type: 'press', button: 'shop' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 1000);
    assert.deepEqual(
      d.handle({ type: 'timer', name: 'max-duration' }, 301_000).filter((x) => x.type === 'hangup-leg'),
      [{ type: 'hangup-leg', leg: 1, reason: 'maximum call duration reached' }],
    );
    assert.equal(d.snapshot().call, null);
    assert.deepEqual(d.handle({ type: 'hangup' }, 0), []);
  });

  it('open pulses the relay for open_ms and counts openings; a second open extends it', () => {
    const d = new Door(settings);
    const a = d.handle({ type: 'open', by: 'cli' }, 0);
    assert.deepEqual(kinds(a), [
      JSON.stringify({ type: 'relay', energised: true }),
      JSON.stringify({ type: 'start-timer', name: 'door', ms: 3000 }),
    ]);
    assert.deepEqual(d.snapshot().door, { open: true, opened: 1 });
    assert.deepEqual(kinds(d.handle({ type: 'open', by: 'cli' }, 1000)), [JSON.stringify({ type: 'start-timer', name: 'door', ms: 3000 })]);
    assert.deepEqual(kinds(d.handle({ type: 'timer', name: 'door' }, 4000)), [JSON.stringify({ type: 'relay', energised: false })]);
    assert.deepEqual(d.snapshot().door, { open: false, opened: 2 });
  });

  it('a DTMF code opens the door only during a call, also after a wrong entry', () => {
    const d = new Door(settings);
    for (const c of '7394') assert.deepEqual(d.handle({ type: 'dtmf', digit: c }, 0), []);
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 10);
    let opened = false;
    // A mistyped entry ends with '#' (or at the code's length); the next entry counts on its own.
    for (const c of '12#7394') opened = d.handle({ type: 'dtmf', digit: c }, 20).some((x) => x.type === 'relay') || opened;
    assert.ok(opened);
    assert.equal(d.snapshot().door.opened, 1);
  });
});
