import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventValue, MAX_COMMAND_BYTES, parseCommand, stateValues } from '../../src/mqtt/bridge.ts';
import { Outbox } from '../../src/mqtt/outbox.ts';
import { commandName, topicsFor } from '../../src/mqtt/topics.ts';
import type { StationStatus } from '../../src/intercom/station-api.ts';

test('commands: the payloads buttons, locks and switches send, and JSON', () => {
  assert.deepEqual(parseCommand('open', 'OPEN'), { ok: true, command: { cmd: 'open' } });
  assert.deepEqual(parseCommand('open', 'PRESS'), { ok: true, command: { cmd: 'open' } });
  assert.deepEqual(parseCommand('open', Buffer.from('unlock')), { ok: true, command: { cmd: 'open' } });
  assert.deepEqual(parseCommand('open', 'LOCK'), { ok: true, command: { cmd: 'lock' } });
  assert.deepEqual(parseCommand('press', 'PRESS'), { ok: true, command: { cmd: 'press' } });
  assert.deepEqual(parseCommand('press', 'gate'), { ok: true, command: { cmd: 'press', button: 'gate' } });
  assert.deepEqual(parseCommand('press', '{"button":"gate"}'), { ok: true, command: { cmd: 'press', button: 'gate' } });
  assert.deepEqual(parseCommand('hangup', 'PRESS'), { ok: true, command: { cmd: 'hangup' } });
  assert.deepEqual(parseCommand('incoming', 'ON'), { ok: true, command: { cmd: 'incoming', enabled: true } });
  assert.deepEqual(parseCommand('incoming', 'off'), { ok: true, command: { cmd: 'incoming', enabled: false } });
  assert.deepEqual(parseCommand('incoming', '{"enabled":true}'), { ok: true, command: { cmd: 'incoming', enabled: true } });
  assert.deepEqual(parseCommand('self-test', '{}'), { ok: true, command: { cmd: 'self-test' } });
});

test('bad command payloads get a one-line reason', () => {
  assert.deepEqual(parseCommand('open', 'now please'), { ok: false, error: 'payload "now please" is not PRESS, OPEN, UNLOCK or LOCK' });
  // Clearing a retained message delivers an empty one: never a command.
  assert.deepEqual(parseCommand('open', ''), { ok: false, error: 'payload "" is not PRESS, OPEN, UNLOCK or LOCK' });
  assert.deepEqual(parseCommand('hangup', Buffer.alloc(0)), { ok: false, error: 'payload "" is not PRESS' });
  assert.deepEqual(parseCommand('press', 'two words'), { ok: false, error: 'payload "two words" is not PRESS, a button name or {"button": NAME}' });
  assert.deepEqual(parseCommand('press', '{"button":"x","y":1}'), { ok: false, error: 'payload "{\\"button\\":\\"x\\",\\"y\\":1}" is not {"button": NAME}' });
  assert.deepEqual(parseCommand('incoming', 'maybe'), { ok: false, error: 'payload "maybe" is not ON, OFF or {"enabled": true|false}' });
  assert.deepEqual(parseCommand('incoming', '{"enabled":"yes"}'), { ok: false, error: 'payload "{\\"enabled\\":\\"yes\\"}" is not {"enabled": true|false}' });
  assert.deepEqual(parseCommand('reboot', ''), { ok: false, error: 'unknown command "reboot"' });
  const huge = parseCommand('open', Buffer.alloc(MAX_COMMAND_BYTES + 1, 0x41));
  assert.deepEqual(huge, { ok: false, error: `payload of ${MAX_COMMAND_BYTES + 1} bytes is too long (at most ${MAX_COMMAND_BYTES})` });
  const binary = parseCommand('open', Buffer.from([0xff, 0x00, 0x0a]));
  assert.equal(binary.ok, false);
  assert.ok(!binary.ok && !binary.error.includes('\n'));
});

test('commands are taken only from <base>/command/<name>', () => {
  assert.equal(commandName('a/b', 'a/b/command/open'), 'open');
  assert.equal(commandName('a/b', 'a/b/command/self-test'), 'self-test');
  assert.equal(commandName('a/b', 'a/b/state/door'), undefined);
  assert.equal(commandName('a/b', 'a/bc/command/open'), undefined);
  assert.equal(commandName('a/b', 'a/b/command/open/x'), undefined);
  assert.equal(commandName('a/b', 'x/a/b/command/open'), undefined);
  assert.equal(topicsFor('a/b').commands, 'a/b/command/+');
  assert.ok(!topicsFor('a/b').result.startsWith('a/b/command/'), 'results are not heard as commands');
});

const STATUS: StationStatus = {
  registered: true,
  registration: { state: 'registered', expiresAt: '2026-01-01T00:10:00.000Z' },
  call: { state: 'active', peer: 'sip:101@pbx', since: '2026-01-01T00:00:00.000Z', codec: 'G722' },
  door: { open: false, opened: 2 },
  incoming: { enabled: false },
  hardware: { backend: null, door_contact: 'open', inputs: [], outputs: [], readers: [] },
};

test('state topics from a status; the contact only when the door has one', () => {
  const v = stateValues(STATUS);
  assert.deepEqual(Object.keys(v).sort(), ['call', 'contact', 'door', 'incoming', 'registration']);
  assert.deepEqual(JSON.parse(v.registration ?? ''), { registered: true, state: 'registered' });
  assert.deepEqual(JSON.parse(v.call ?? ''), { state: 'active', peer: 'sip:101@pbx', since: '2026-01-01T00:00:00.000Z', codec: 'G722' });
  assert.deepEqual(JSON.parse(v.door ?? ''), { open: false, opened: 2 });
  assert.deepEqual(JSON.parse(v.contact ?? ''), { state: 'open' });
  const idle = stateValues({ ...STATUS, call: null, hardware: { backend: null, inputs: [], outputs: [], readers: [] }, registered: false, registration: { state: 'failed', lastError: 'authentication failed' } });
  assert.deepEqual(JSON.parse(idle.call ?? ''), { state: 'idle' });
  assert.deepEqual(JSON.parse(idle.registration ?? ''), { registered: false, state: 'failed', last_error: 'authentication failed' });
  assert.equal(idle.contact, undefined);
});

test('events carry event_type and never a code, PIN or card number', () => {
  const e = eventValue({ at: '2026-01-01T00:00:00.000Z', kind: 'door-opened', by: 'card:front', card: '04A1B2C3', code: '7394', pin: '1234' });
  assert.equal(e.kind, 'door-opened');
  assert.deepEqual(JSON.parse(e.payload), { event_type: 'door-opened', at: '2026-01-01T00:00:00.000Z', by: 'card:front' });
});

test('outbox: state is latest-only and resent on connect; events queue offline, bounded, oldest dropped', () => {
  const box = new Outbox(2);
  assert.deepEqual(box.state('s/a', '1', true), { topic: 's/a', payload: '1', retain: true, qos: 1 });
  assert.equal(box.state('s/a', '1', true), undefined, 'unchanged state is not sent again');
  assert.equal(box.state('s/a', '2', false), undefined);
  assert.equal(box.state('s/a', '3', false), undefined);
  assert.deepEqual(box.event('e/x', 'live', true), { topic: 'e/x', payload: 'live', retain: false, qos: 1 });
  for (const p of ['one', 'two', 'three']) assert.equal(box.event('e/x', p, false), undefined);
  assert.equal(box.dropped, 1);
  assert.equal(box.pending, 2);
  assert.deepEqual(box.flush(), [
    { topic: 's/a', payload: '3', retain: true, qos: 1 },
    { topic: 'e/x', payload: 'two', retain: false, qos: 1 },
    { topic: 'e/x', payload: 'three', retain: false, qos: 1 },
  ]);
  assert.equal(box.pending, 0);
  assert.deepEqual(box.flush(), [{ topic: 's/a', payload: '3', retain: true, qos: 1 }], 'state is kept for the next reconnect');
});
