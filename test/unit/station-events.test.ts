import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DoorEventLog } from '../../src/intercom/event-log.ts';
import { StationEvents, type StationEvent } from '../../src/intercom/station-events.ts';

const at = new Date('2026-01-01T08:00:00Z');

test('every new history entry reaches the watchers; folded repeats of a refusal do not', () => {
  const events = new StationEvents();
  const seen: StationEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const history = new DoorEventLog(10, (entry) => events.emit({ type: 'history', entry }));
  history.fromLog('press', { button: 'front' }, at);
  history.fromLog('sip.sent', { method: 'INVITE' }, at); // not history
  history.refused('198.51.100.7:5060', 'not-from-registrar', at);
  history.refused('198.51.100.7:5060', 'not-from-registrar', at);
  assert.deepEqual(
    seen.map((e) => (e.type === 'history' ? e.entry.kind : e.type)),
    ['press', 'refused'],
  );
});

test('a watcher gets a copy: changing it does not rewrite the history', () => {
  let got: StationEvent | undefined;
  const history = new DoorEventLog(10, (entry) => (got = { type: 'history', entry }));
  history.fromLog('door.opened', { by: 'dtmf' }, at);
  assert.ok(got?.type === 'history');
  got.entry['by'] = 'tampered';
  assert.equal(history.recent()[0]?.['by'], 'dtmf');
});

test('a failing watcher is reported and the others still hear the event', () => {
  const failures: unknown[] = [];
  const events = new StationEvents((err) => failures.push(err));
  let heard = 0;
  events.subscribe(() => {
    throw new Error('broker gone');
  });
  events.subscribe(() => (heard += 1));
  events.emit({ type: 'state' });
  assert.equal(heard, 1);
  assert.equal(failures.length, 1);
});

test('unsubscribing stops the events', () => {
  const events = new StationEvents();
  let heard = 0;
  const off = events.subscribe(() => (heard += 1));
  events.emit({ type: 'state' });
  off();
  events.emit({ type: 'state' });
  assert.equal(heard, 1);
});
