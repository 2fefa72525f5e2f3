import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CodeEntry, DIGIT_TIMEOUT_MS, type CodeVerdict } from '../../src/intercom/dtmf-codes.ts';
import { Door, type DoorAction, type DoorSettings } from '../../src/intercom/door.ts';
import { trivialCodeReason } from '../../src/config/door-codes.ts';

const A = 'sip:101@pbx';
const B = 'sip:102@pbx';

function keys(e: CodeEntry, digits: string, now: number, peer = A): CodeVerdict[] {
  return [...digits].map((d) => e.key(d, now, peer));
}

describe('door codes: matching whole entries', () => {
  it('opens on the exact code, names it by label', () => {
    const e = new CodeEntry([{ code: '7394', label: 'codes[0]' }]);
    const v = keys(e, '7394', 0);
    assert.deepEqual(v.at(-1), { kind: 'open', label: 'codes[0]' });
    assert.deepEqual(v.slice(0, 3).map((x) => x.kind), ['pending', 'pending', 'pending']);
  });

  it('a wrong entry is complete at the code length; a long run of digits is one attempt per code length, not a search', () => {
    const e = new CodeEntry([{ code: '7394', label: 'x' }], { attempts: 100, windowMs: 60_000, lockoutMs: 1 });
    // Tail matching would open on the "7394" inside; whole-entry matching sees 1273 and 94.. as entries.
    const v = keys(e, '127394', 0);
    assert.ok(!v.some((x) => x.kind === 'open'));
    assert.deepEqual(v[3], { kind: 'wrong', failures: 1 });
  });

  it("'#' ends an entry early; a lone '#' is no attempt; a pause starts a new entry without counting", () => {
    const e = new CodeEntry([{ code: '7394', label: 'x' }]);
    assert.deepEqual(keys(e, '12#', 0).at(-1), { kind: 'wrong', failures: 1 });
    assert.deepEqual(e.key('#', 0, A), { kind: 'pending' });
    keys(e, '73', 100);
    assert.deepEqual(keys(e, '7394', 100 + DIGIT_TIMEOUT_MS + 1).at(-1), { kind: 'open', label: 'x' });
  });

  it("codes containing '#' or '*' still match", () => {
    const e = new CodeEntry([{ code: '12#9*3', label: 'x' }]);
    assert.deepEqual(keys(e, '12#9*3', 0).at(-1), { kind: 'open', label: 'x' });
  });

  it('a per-target code opens only for its target; global codes for everyone', () => {
    const e = new CodeEntry([
      { code: '5821', label: 'flat', targets: [B] },
      { code: '7394', label: 'all' },
    ]);
    assert.equal(keys(e, '5821', 0, A).at(-1)?.kind, 'wrong');
    assert.deepEqual(keys(e, '5821', 10, B).at(-1), { kind: 'open', label: 'flat' });
    assert.deepEqual(keys(e, '7394', 20, A).at(-1), { kind: 'open', label: 'all' });
  });
});

describe('door codes: lock-out', () => {
  const lockout = { attempts: 3, windowMs: 60_000, lockoutMs: 300_000 };

  it('after N wrong entries within the window every key is ignored for the lock-out period, even the right code', () => {
    const e = new CodeEntry([{ code: '7394', label: 'x' }], lockout);
    assert.deepEqual(keys(e, '1111', 0).at(-1), { kind: 'wrong', failures: 1 });
    assert.deepEqual(keys(e, '2222', 1000).at(-1), { kind: 'wrong', failures: 2 });
    assert.deepEqual(keys(e, '3333', 2000).at(-1), { kind: 'wrong', failures: 3, lockedUntil: 302_000 });
    const locked = keys(e, '7394', 3000);
    assert.deepEqual(locked[0], { kind: 'locked', until: 302_000, first: true });
    assert.ok(locked.slice(1).every((x) => x.kind === 'locked' && !x.first));
    assert.ok(e.lockedAt(301_999));
    assert.deepEqual(keys(e, '7394', 302_000).at(-1), { kind: 'open', label: 'x' });
  });

  it('failures older than the window are forgotten; a right code clears the count', () => {
    const e = new CodeEntry([{ code: '7394', label: 'x' }], lockout);
    keys(e, '1111', 0);
    keys(e, '2222', 1000);
    assert.deepEqual(keys(e, '3333', 60_500).at(-1), { kind: 'wrong', failures: 2 });
    keys(e, '7394', 60_600);
    assert.deepEqual(keys(e, '4444', 60_700).at(-1), { kind: 'wrong', failures: 1 });
  });

  it('the lock-out outlives the call: a new call does not reset it', () => {
    const settings: DoorSettings = {
      buttons: [{ name: 'bell', targets: [A] }],
      ringTimeoutMs: 30_000,
      maxDurationMs: 300_000,
      openMs: 3000,
      codes: ['7394'],
      lockout,
    };
    const d = new Door(settings);
    const dial = (leg: number, at: number) => {
      d.handle({ type: 'press' }, at);
      d.handle({ type: 'leg-answered', leg }, at);
    };
    const feed = (digits: string, at: number): DoorAction[] => [...digits].flatMap((c) => d.handle({ type: 'dtmf', digit: c }, at));
    const events = (a: DoorAction[]) => a.flatMap((x) => (x.type === 'log' ? [x.event] : []));
    dial(1, 0);
    assert.deepEqual(events(feed('1111', 10)), ['door.code-wrong']);
    assert.deepEqual(events(feed('2222', 20)), ['door.code-wrong']);
    assert.deepEqual(events(feed('3333', 30)), ['door.code-wrong', 'door.code-lockout']);
    d.handle({ type: 'hangup' }, 40);
    dial(2, 50);
    const a = feed('7394', 60);
    assert.deepEqual(events(a), ['door.code-ignored'], 'one line for the whole lock-out');
    assert.ok(!a.some((x) => x.type === 'relay'));
    assert.equal(d.snapshot().door.opened, 0);
    // No log line carries the digits.
    assert.ok(!JSON.stringify(a).includes('7394'));
    d.handle({ type: 'hangup' }, 70);
    dial(3, 400_000);
    assert.ok(feed('7394', 400_010).some((x) => x.type === 'relay'));
  });
});

describe('trivial door codes', () => {
  it('refuses short, repeated, sequential and well-known codes', () => {
    for (const c of ['1', '12', '123', '0000', '1111', '1234', '4321', '0123', '9876', '7890', '123456', '1212', '2580']) {
      assert.ok(trivialCodeReason(c), c);
    }
  });
  it('accepts codes that are not', () => {
    for (const c of ['7394', '5821', '73941', '12#9*3', '2468']) assert.equal(trivialCodeReason(c), undefined, c);
  });
});
