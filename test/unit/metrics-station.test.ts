import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DoorEventLog, type DoorLogEntry } from '../../src/intercom/event-log.ts';
import type { StationStatus } from '../../src/intercom/station-api.ts';
import { StationMetrics } from '../../src/metrics/station-metrics.ts';
import { parseExposition, sampleValue } from '../support/prom-text.ts';

const build = { version: '1.2.3', node: '20.0.0', startTimeS: 1_700_000_000 };
const at = '2026-01-01T08:00:00.000Z';

function idle(over: Partial<StationStatus> = {}): StationStatus {
  return {
    registered: true,
    registration: { state: 'registered', failures: 0 },
    call: null,
    door: { open: false, opened: 0 },
    audio: { input: { underruns: 0, overruns: 0, errors: 0 }, output: { underruns: 0, overruns: 0, errors: 0 } },
    ...over,
  };
}

function feed(m: StationMetrics, entries: Array<Omit<DoorLogEntry, 'at'>>, status = idle()): void {
  for (const e of entries) m.observe({ type: 'history', entry: { at, ...e } as DoorLogEntry }, status);
}

const scrape = (m: StationMetrics, status = idle()) => parseExposition(m.render(status));

test('before anything happened: every family is there, counters at 0, registration shown', () => {
  const m = new StationMetrics(build, ['front', 'back']);
  const p = scrape(m);
  assert.equal(sampleValue(p, 'intercom_sip_registered'), 1);
  assert.equal(sampleValue(p, 'intercom_sip_registration_state', { state: 'registered' }), 1);
  assert.equal(sampleValue(p, 'intercom_sip_registration_state', { state: 'failed' }), 0);
  assert.equal(sampleValue(p, 'intercom_calls_total', { direction: 'outgoing', result: 'answered' }), 0);
  assert.equal(sampleValue(p, 'intercom_calls_total', { direction: 'incoming', result: 'refused' }), 0);
  assert.equal(sampleValue(p, 'intercom_call_duration_seconds_count'), 0);
  assert.equal(sampleValue(p, 'intercom_button_presses_total', { button: 'back' }), 0);
  assert.equal(sampleValue(p, 'intercom_door_openings_total', { method: 'dtmf' }), 0);
  assert.equal(sampleValue(p, 'intercom_build_info', { version: '1.2.3', node: '20.0.0' }), 1);
  assert.equal(sampleValue(p, 'intercom_start_time_seconds'), 1_700_000_000);
  assert.equal(p.has('intercom_rtp_jitter_seconds'), false, 'no jitter before the first call');
});

test('calls by direction and result, with the talk time of answered ones', () => {
  const m = new StationMetrics(build, ['front']);
  feed(m, [
    { kind: 'press', button: 'front' },
    { kind: 'answered', peer: '101' },
    { kind: 'call-ended', peer: '101', reason: 'hung up by the other side', by: 'remote', answered: true, durationS: 42.5 },
    { kind: 'press', button: 'front' },
    { kind: 'no-answer', afterS: 30 },
    { kind: 'press', button: 'front' },
    { kind: 'call-ended', peer: '101', reason: '486 Busy Here', by: 'remote', status: 486, answered: false, durationS: 1 },
    { kind: 'press', button: 'front' },
    { kind: 'call-ended', peer: '101', reason: '404 Not Found', by: 'remote', status: 404, answered: false, durationS: 1 },
    { kind: 'press', button: 'front' },
    { kind: 'call-ended', peer: '101', reason: 'hung up at the door', by: 'local', answered: false, durationS: 3 },
    { kind: 'answered', peer: 'sip:101@pbx', incoming: true },
    { kind: 'call-ended', peer: 'sip:101@pbx', reason: 'hung up at the door', by: 'local', answered: true, durationS: 7 },
    { kind: 'press-ignored', button: 'front', reason: 'call active' },
  ]);
  const p = scrape(m);
  const calls = (direction: string, result: string) => sampleValue(p, 'intercom_calls_total', { direction, result });
  assert.equal(calls('outgoing', 'answered'), 1);
  assert.equal(calls('outgoing', 'no-answer'), 1);
  assert.equal(calls('outgoing', 'busy'), 1);
  assert.equal(calls('outgoing', 'failed'), 1);
  assert.equal(calls('outgoing', 'cancelled'), 1);
  assert.equal(calls('incoming', 'answered'), 1);
  assert.equal(sampleValue(p, 'intercom_call_duration_seconds_count'), 2);
  assert.equal(sampleValue(p, 'intercom_call_duration_seconds_sum'), 49.5);
  assert.equal(sampleValue(p, 'intercom_call_duration_seconds_bucket', { le: '10' }), 1);
  assert.equal(sampleValue(p, 'intercom_call_duration_seconds_bucket', { le: '60' }), 2);
  assert.equal(sampleValue(p, 'intercom_button_presses_total', { button: 'front' }), 5);
});

test('door openings by method, wrong codes and lock-outs', () => {
  const m = new StationMetrics(build);
  feed(m, [
    { kind: 'door-opened', by: 'dtmf:flat' },
    { kind: 'door-opened', by: 'dtmf:codes[1]' },
    { kind: 'door-opened', by: 'card:hall' },
    { kind: 'door-opened', by: 'keypad:gate' },
    { kind: 'door-opened', by: 'exit-button' },
    { kind: 'door-opened', by: 'command' },
    { kind: 'door-opened', by: 'something new' },
    { kind: 'code-wrong', peer: '101', failures: 1 },
    { kind: 'code-wrong', peer: '101', failures: 2 },
    { kind: 'code-lockout', peer: '101', forS: 300 },
  ]);
  const p = scrape(m);
  const opened = (method: string) => sampleValue(p, 'intercom_door_openings_total', { method });
  assert.deepEqual(['dtmf', 'card', 'keypad', 'exit-button', 'command', 'mqtt', 'other'].map(opened), [2, 1, 1, 1, 1, 0, 1]);
  assert.equal(sampleValue(p, 'intercom_door_codes_wrong_total'), 2);
  assert.equal(sampleValue(p, 'intercom_door_code_lockouts_total'), 1);
});

test('refused incoming calls count every repeat, though the history folds repeats into one entry', () => {
  const m = new StationMetrics(build);
  const history = new DoorEventLog(10, (entry) => m.observe({ type: 'history', entry }, status()));
  const status = () => idle({ events: history.recent() });
  const t = new Date(at);
  history.refused('198.51.100.7:5060', 'not-from-registrar', t);
  history.refused('198.51.100.7:5060', 'not-from-registrar', t);
  history.refused('198.51.100.7:5060', 'not-from-registrar', t);
  assert.equal(sampleValue(scrape(m, status()), 'intercom_incoming_refused_total', { reason: 'not-from-registrar' }), 3);
  history.refused('198.51.100.7:5060', 'not-from-registrar', t);
  history.refused('127.0.0.1:5060', 'disabled', t, 'sip:102@pbx');
  history.fromLog('incoming.busy', { peer: 'sip:103@pbx' }, t);
  const p = scrape(m, status());
  assert.equal(sampleValue(p, 'intercom_incoming_refused_total', { reason: 'not-from-registrar' }), 4);
  assert.equal(sampleValue(p, 'intercom_incoming_refused_total', { reason: 'disabled' }), 1);
  assert.equal(sampleValue(p, 'intercom_incoming_refused_total', { reason: 'busy' }), 1);
  assert.equal(sampleValue(p, 'intercom_calls_total', { direction: 'incoming', result: 'refused' }), 6);
});

test('RTP: the call in progress shows live, finished calls add up, and a figure never goes back', () => {
  const m = new StationMetrics(build);
  const inCall = (packetsReceived: number, packetsLost: number, jitterMs: number) =>
    idle({ call: { state: 'active', peer: '101', since: at, rtp: { packetsReceived, packetsLost, jitterMs } } });
  let p = scrape(m, inCall(250, 2, 4));
  assert.equal(sampleValue(p, 'intercom_rtp_packets_received_total'), 250);
  assert.equal(sampleValue(p, 'intercom_rtp_packets_lost_total'), 2);
  assert.equal(sampleValue(p, 'intercom_rtp_jitter_seconds'), 0.004);
  assert.equal(sampleValue(p, 'intercom_call_in_progress'), 1);
  feed(m, [{ kind: 'call-ended', peer: '101', by: 'remote', answered: true, durationS: 6, packetsReceived: 300, packetsLost: 3, jitterMs: 5 }]);
  p = scrape(m);
  assert.equal(sampleValue(p, 'intercom_rtp_packets_received_total'), 300);
  assert.equal(sampleValue(p, 'intercom_rtp_packets_lost_total'), 3);
  assert.equal(sampleValue(p, 'intercom_rtp_jitter_seconds'), 0.005, 'the last call’s jitter while idle');
  assert.equal(sampleValue(p, 'intercom_call_in_progress'), 0);
  p = scrape(m, inCall(100, 0, 2));
  assert.equal(sampleValue(p, 'intercom_rtp_packets_received_total'), 400);
  // A transfer hands the call to new media whose counts start again.
  p = scrape(m, inCall(10, 0, 2));
  assert.equal(sampleValue(p, 'intercom_rtp_packets_received_total'), 400);
});

test('counters the station keeps itself carry on across a reload that builds a new station', () => {
  const m = new StationMetrics(build);
  const audio = (underruns: number) => ({ input: { underruns: 0, overruns: 1, errors: 0 }, output: { underruns, overruns: 0, errors: 0 } });
  const failing = (startedAt: string, failures: number, underruns: number) =>
    idle({ startedAt, registered: false, registration: { state: 'failed', lastError: '403 Forbidden', failures }, audio: audio(underruns) });
  m.observe({ type: 'state' }, failing('first', 2, 5));
  m.observe({ type: 'state' }, failing('first', 3, 7));
  // The reload: the new station's counters start from zero, whether or not the gap between them was seen.
  m.observe({ type: 'state' }, failing('second', 1, 2));
  const p = scrape(m, failing('second', 1, 2));
  assert.equal(sampleValue(p, 'intercom_sip_registration_failures_total'), 4);
  assert.equal(sampleValue(p, 'intercom_sip_registration_state', { state: 'failed' }), 1);
  assert.equal(sampleValue(p, 'intercom_sip_registered'), 0);
  assert.equal(sampleValue(p, 'intercom_audio_underruns_total', { direction: 'output' }), 9);
  assert.equal(sampleValue(p, 'intercom_audio_overruns_total', { direction: 'input' }), 2);
  assert.equal(sampleValue(p, 'intercom_audio_errors_total', { direction: 'input' }), 0);
});

test('labels stay bounded: unknown methods and reasons are "other", odd text is escaped', () => {
  const m = new StationMetrics(build, ['a "quoted"\\ name']);
  feed(m, [
    { kind: 'press', button: 'a "quoted"\\ name' },
    { kind: 'refused', from: '192.0.2.1:5060', reason: 'whatever\nnew' },
  ]);
  const p = scrape(m, idle({ registration: { state: 'mystery' } }));
  assert.equal(sampleValue(p, 'intercom_button_presses_total', { button: 'a "quoted"\\ name' }), 1);
  assert.equal(sampleValue(p, 'intercom_incoming_refused_total', { reason: 'other' }), 1);
  assert.equal(sampleValue(p, 'intercom_sip_registration_state', { state: 'other' }), 1);
});
