import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.ts';
import { encodeWav } from '../../src/audio/wav.ts';

const minimal = (tones?: unknown) => ({
  sip: { server: '127.0.0.1', user: 'door', password: 'secret' },
  buttons: [{ name: 'bell', call: ['101'] }],
  ...(tones === undefined ? {} : { tones }),
});

test('tones default to the European call-progress tones, all enabled, no prompts', () => {
  const r = validateConfig(minimal(), '/nonexistent');
  assert.ok(r.ok);
  const t = r.config.tones;
  assert.deepEqual(t.ringback, { enabled: true, frequencies: [425], cadence_ms: [1000, 4000], level: -20 });
  assert.deepEqual(t.busy, { enabled: true, frequencies: [425], cadence_ms: [480, 480], level: -20, duration_ms: 3000 });
  assert.equal(t.confirm.enabled, true);
  assert.equal(t.warning.before_s, 30);
  assert.deepEqual(t.prompts, {});
});

test('levels are dBFS numbers or percentages of full scale', () => {
  const r = validateConfig(minimal({ ringback: { level: '10%' }, busy: { level: -6, enabled: false } }), '/x');
  assert.ok(r.ok);
  assert.equal(Math.round(r.config.tones.ringback.level), -20);
  assert.equal(r.config.tones.busy.level, -6);
  assert.equal(r.config.tones.busy.enabled, false);
});

test('bad tone settings are reported one line each, naming the key', () => {
  const r = validateConfig(
    minimal({ ringback: { level: 3, cadence_ms: [1000], duration_ms: 5 }, confirm: { level: '0%', frequencies: [10, 20, 30] }, beep: {} }),
    '/x',
  );
  assert.ok(!r.ok);
  const text = r.errors.join('\n');
  for (const key of ['tones.ringback.level', 'tones.ringback.cadence_ms', 'tones.ringback.duration_ms', 'tones.confirm.level', 'tones.confirm.frequencies']) {
    assert.match(text, new RegExp(`^${key.replace(/\./g, '\\.')}: `, 'm'), `${key} in:\n${text}`);
  }
  assert.match(text, /beep/);
  assert.ok(r.errors.every((e) => !e.includes('\n')));
});

test('prompts: a missing file or a non-WAV is an error naming the key; a good one is resolved against the config directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-prompts-'));
  writeFileSync(join(dir, 'wait.wav'), encodeWav(new Int16Array(800).fill(1000), 8000));
  writeFileSync(join(dir, 'notes.txt'), 'not audio');
  const bad = validateConfig(minimal({ prompts: { unavailable: 'missing.wav', busy: 'notes.txt' } }), dir);
  assert.ok(!bad.ok);
  assert.equal(bad.errors.length, 2, bad.errors.join('\n'));
  assert.ok(bad.errors.includes(`tones.prompts.busy: ${join(dir, 'notes.txt')}: not a WAV file (no RIFF/WAVE header)`), bad.errors.join('\n'));
  assert.ok(bad.errors.includes(`tones.prompts.unavailable: ${join(dir, 'missing.wav')}: no such file`), bad.errors.join('\n'));
  const good = validateConfig(minimal({ prompts: { unavailable: 'wait.wav' } }), dir);
  assert.ok(good.ok, good.ok ? '' : good.errors.join('\n'));
  assert.equal(good.config.tones.prompts.unavailable, join(dir, 'wait.wav'));
});
