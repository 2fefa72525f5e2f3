import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';

const minimal = () => ({
  sip: { server: '127.0.0.1', user: 'door', password: 'secret' },
  buttons: [{ name: 'bell', call: ['101'] }],
});

function valid(audio: unknown): Config {
  const r = validateConfig({ ...minimal(), audio }, '/nonexistent');
  if (!r.ok) assert.fail(`expected a valid config, got:\n${r.errors.join('\n')}`);
  return r.config;
}

function errors(audio: unknown): string[] {
  const r = validateConfig({ ...minimal(), audio }, '/nonexistent');
  if (r.ok) assert.fail('expected errors, config was accepted');
  return r.errors;
}

test('voice processing defaults: speex echo cancellation, noise suppression on, no AGC, 0 dB gains', () => {
  const a = valid(undefined).audio;
  assert.equal(a.echo_cancellation, 'speex');
  assert.equal(a.echo_tail_ms, 300);
  assert.equal(a.noise_suppression, true);
  assert.equal(a.agc, false);
  assert.equal(a.mic_gain_db, 0);
  assert.equal(a.speaker_gain_db, 0);
  assert.deepEqual(a.half_duplex, { attenuation_db: 30, threshold_dbfs: -40, hang_ms: 300 });
  assert.deepEqual(valid({ half_duplex: null }).audio.half_duplex, { attenuation_db: 30, threshold_dbfs: -40, hang_ms: 300 });
});

test('voice processing keys are read as written', () => {
  const a = valid({ echo_cancellation: 'half-duplex', echo_tail_ms: 200, noise_suppression: false, agc: true, mic_gain_db: 12.5, speaker_gain_db: -6, half_duplex: { attenuation_db: 20 } }).audio;
  assert.equal(a.echo_cancellation, 'half-duplex');
  assert.equal(a.echo_tail_ms, 200);
  assert.equal(a.noise_suppression, false);
  assert.equal(a.agc, true);
  assert.equal(a.mic_gain_db, 12.5);
  assert.equal(a.speaker_gain_db, -6);
  assert.deepEqual(a.half_duplex, { attenuation_db: 20, threshold_dbfs: -40, hang_ms: 300 });
});

test('bad voice processing values: one line each, naming the key', () => {
  const all = errors({
    echo_cancellation: 'webrtc',
    echo_tail_ms: 5000,
    noise_suppression: 'yes',
    mic_gain_db: 40,
    speaker_gain_db: -100,
    half_duplex: { attenuation_db: 2, hang_ms: 1.5, loudness: 3 },
  });
  const expect = [
    'audio.echo_cancellation: must be speex, half-duplex or off',
    'audio.echo_tail_ms: must be a whole number of ms from 20 to 500',
    'audio.noise_suppression: must be true or false',
    'audio.mic_gain_db: must be a number of dB from -20 to 30',
    'audio.speaker_gain_db: must be a number of dB from -40 to 20',
    'audio.half_duplex.attenuation_db: must be a number of dB from 6 to 60',
    'audio.half_duplex.hang_ms: must be a whole number of ms from 0 to 2000',
  ];
  for (const line of expect) assert.ok(all.some((e) => e.startsWith(line)), `missing "${line}" in:\n${all.join('\n')}`);
  assert.ok(all.some((e) => e.startsWith('audio.half_duplex.loudness: unknown key')), all.join('\n'));
  for (const e of all) assert.doesNotMatch(e, /\n/);
});
