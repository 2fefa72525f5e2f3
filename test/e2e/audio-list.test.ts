// `intercom audio list` with the real PortAudio (naudiodon), over an ALSA
// configuration whose default device is a file/null pair, so at least one
// device exists without a sound card.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAlsaNullConfig } from '../support/alsa-null-config.ts';
import { makeTempDir, runCommand } from '../support/process.ts';
import { INTERCOM_BIN } from './intercom-process.ts';

describe('intercom audio list (real PortAudio)', { timeout: 60_000 }, () => {
  const tmp = makeTempDir('audio-list-');
  let alsa = '';
  before(() => {
    writeFileSync(join(tmp.path, 'in.raw'), Buffer.alloc(0));
    alsa = writeAlsaNullConfig(tmp.path, join(tmp.path, 'out.raw'), join(tmp.path, 'in.raw'));
  });
  after(() => tmp.remove());

  const list = (...args: string[]) =>
    runCommand(process.execPath, [INTERCOM_BIN, 'audio', 'list', ...args], { env: { ...process.env, ALSA_CONFIG_PATH: alsa }, timeoutMs: 30_000 });

  it('--json: stdout is one JSON object naming the default capture and playback device', async (t) => {
    const r = await list('--json');
    if (r.code === 1 && /unavailable/.test(r.stderr)) return t.skip(r.stderr.trim());
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout) as { devices: Array<{ index: number; name: string; defaultInput: boolean; defaultOutput: boolean; maxInputChannels: number; defaultSampleRate: number }> };
    const def = parsed.devices.find((d) => d.name === 'default');
    assert.ok(def, `no "default" device in ${r.stdout}`);
    assert.equal(def.defaultInput, true);
    assert.equal(def.defaultOutput, true);
    assert.ok(def.maxInputChannels > 0 && def.defaultSampleRate > 0);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'nothing but the JSON on stdout');
    t.diagnostic(`${parsed.devices.length} devices: ${parsed.devices.map((d) => `${d.index}:${d.name}`).join(', ')}`);
  });

  it('text: both directions listed with the defaults marked, no native noise on stdout or stderr', async (t) => {
    const r = await list();
    if (r.code === 1 && /unavailable/.test(r.stderr)) return t.skip(r.stderr.trim());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Capture devices \(audio\.input\):\n(?: +\d+ {2}".*\n)+Playback devices \(audio\.output\):\n(?: +\d+ {2}".*\n)+$/);
    assert.match(r.stdout, /"default" {2}\d+ ch, \d+ Hz, ALSA {2}\[default input, default output\]/);
    assert.equal(r.stderr, '');
  });

  it('a broken ALSA setup still gives an answer, not a crash', async () => {
    const broken = join(tmp.path, 'broken.conf');
    writeFileSync(broken, 'pcm.!default { type nonexistent_plugin }\n');
    const r = await runCommand(process.execPath, [INTERCOM_BIN, 'audio', 'list', '--json'], { env: { ...process.env, ALSA_CONFIG_PATH: broken }, timeoutMs: 30_000 });
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    if (r.code === 0) JSON.parse(r.stdout);
    else assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
