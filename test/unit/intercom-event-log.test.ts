import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DoorEventLog, describeEntry } from '../../src/intercom/event-log.ts';
import { Door } from '../../src/intercom/door.ts';

test('the event log keeps presses, calls, openings and refusals from what the door logs', () => {
  const door = new Door({ buttons: [{ name: 'bell', targets: ['sip:101@pbx'] }], ringTimeoutMs: 30_000, maxDurationMs: 300_000, openMs: 3000, codes: ['7394'] });
  const events = new DoorEventLog();
  let t = 0;
  const feed = (ev: Parameters<Door['handle']>[0]) => {
    for (const a of door.handle(ev, t)) if (a.type === 'log') events.fromLog(a.event, a.fields, new Date(t));
  };
  feed({ type: 'press' });
  t = 4000;
  feed({ type: 'leg-answered', leg: 1 });
  for (const k of '1111') feed({ type: 'dtmf', digit: k });
  for (const k of '7394') feed({ type: 'dtmf', digit: k });
  t = 64_000;
  feed({ type: 'leg-ended', leg: 1, reason: 'hung up by the other side', by: 'remote' });
  events.refused('203.0.113.9', 'not-from-registrar', new Date(70_000));
  events.refused('203.0.113.9', 'not-from-registrar', new Date(71_000));
  const got = events.recent();
  assert.deepEqual(
    got.map((e) => e.kind),
    ['press', 'answered', 'code-wrong', 'door-opened', 'call-ended', 'refused'],
  );
  assert.equal(got[1]?.['peer'], 'sip:101@pbx');
  assert.equal(got[3]?.['by'], 'dtmf:codes[0]');
  assert.equal(got[4]?.['durationS'], 60);
  assert.equal(got[5]?.['count'], 2);
  assert.ok(!JSON.stringify(got).includes('7394'), 'never a code');
  assert.match(describeEntry(got[4]!), /^1970-01-01T00:01:04\.000Z call-ended peer=sip:101@pbx reason="hung up by the other side" by=remote answered=true durationS=60$/);
});

test('the event log is bounded', () => {
  const events = new DoorEventLog(3);
  for (let i = 0; i < 10; i++) events.fromLog('press', { button: `b${i}` }, new Date(i));
  assert.deepEqual(events.recent().map((e) => e['button']), ['b7', 'b8', 'b9']);
});

test('refusals fold by source, reason and (for registrar-vouched calls only) caller', () => {
  const events = new DoorEventLog();
  events.refused('203.0.113.9', 'not-from-registrar', new Date(0), 'sip:101@pbx');
  events.refused('203.0.113.9', 'not-from-registrar', new Date(1), 'sip:999@pbx');
  events.refused('10.0.0.1', 'not-allowed', new Date(2), 'sip:102@pbx');
  events.refused('10.0.0.1', 'not-allowed', new Date(3), 'sip:103@pbx');
  const got = events.recent();
  assert.deepEqual(
    got.map((e) => [e['from'], e['caller'], e['count']]),
    [
      ['203.0.113.9', undefined, 2],
      ['10.0.0.1', 'sip:102@pbx', undefined],
      ['10.0.0.1', 'sip:103@pbx', undefined],
    ],
  );
});
