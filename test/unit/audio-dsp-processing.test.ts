// How the configured echo mode meets the machine: speex when the library loads,
// half-duplex ducking (and one log line) when it does not; gains on both paths.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createVoiceProcessing, type VoiceConfig } from '../../src/audio/dsp/processing.ts';
import { levelDbfs, sine, toPcm } from '../support/echo-path.ts';

function voice(over: Partial<VoiceConfig> = {}): VoiceConfig {
  return {
    echo_cancellation: 'speex',
    echo_tail_ms: 128,
    noise_suppression: false,
    agc: false,
    mic_gain_db: 0,
    speaker_gain_db: 0,
    half_duplex: { attenuation_db: 30, threshold_dbfs: -40, hang_ms: 300 },
    ...over,
  };
}

function recorder() {
  const lines: Array<{ level: string; event: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => void lines.push({ level, event, fields });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn') } };
}

const missing = () => ({ ok: false as const, reason: 'libspeexdsp cannot be loaded (install the libspeexdsp1 package): libspeexdsp.so.1: cannot open shared object file' });
const FMT = { sampleRate: 8000, frameSamples: 160 };

describe('voice processing modes', () => {
  it('uses speex when the library is there, and says so in one line', () => {
    const r = recorder();
    const vp = createVoiceProcessing(voice({ noise_suppression: true }), r.log);
    assert.equal(vp.mode, 'speex');
    assert.deepEqual(r.lines.map((l) => `${l.level} ${l.event}`), ['info audio.processing']);
    assert.equal(r.lines[0]?.fields['echo'], 'speex');
    const p = vp.create(FMT);
    assert.equal(p.description, 'speex aec 128 ms + noise suppression');
    p.close();
  });

  it('falls back to half-duplex without the library: one warning with the reason, and the microphone is ducked', () => {
    const r = recorder();
    const vp = createVoiceProcessing(voice({ noise_suppression: true }), r.log, { loadSpeex: missing });
    assert.equal(vp.mode, 'half-duplex');
    const warn = r.lines.filter((l) => l.level === 'warn');
    assert.equal(warn.length, 1);
    assert.equal(warn[0]?.event, 'audio.speexdsp-unavailable');
    assert.match(String(warn[0]?.fields['reason']), /libspeexdsp1/);
    assert.equal(warn[0]?.fields['fallback'], 'half-duplex');
    assert.equal(warn[0]?.fields['off'], 'noise suppression');
    assert.equal(r.lines.find((l) => l.event === 'audio.processing')?.fields['echo'], 'half-duplex');

    const p = vp.create(FMT);
    assert.equal(p.description, 'half-duplex 30 dB');
    const mic = toPcm(sine(8000, 0.02, 600, 0.3));
    const talk = toPcm(sine(8000, 0.02, 1000, 0.3));
    const silent = new Int16Array(160);
    assert.deepEqual(p.process(mic, silent).send, mic);
    p.process(mic, talk);
    const ducked = p.process(mic, talk).send;
    assert.ok(Math.abs(levelDbfs(mic) - levelDbfs(ducked) - 30) < 0.2);
  });

  it('does not load the library at all when nothing needs it', () => {
    let loads = 0;
    const vp = createVoiceProcessing(voice({ echo_cancellation: 'off' }), recorder().log, {
      loadSpeex: () => {
        loads++;
        return missing();
      },
    });
    const p = vp.create(FMT);
    const mic = Int16Array.from({ length: 160 }, (_, i) => i);
    const far = Int16Array.from({ length: 160 }, (_, i) => -i);
    const r = p.process(mic, far);
    assert.equal(loads, 0);
    assert.equal(r.send, mic, 'off with no gains hands frames through');
    assert.equal(r.play, far);
    assert.equal(p.description, 'none');
  });

  it('speaker gain applies to what is played, mic gain to what is sent', () => {
    const p = createVoiceProcessing(voice({ echo_cancellation: 'off', mic_gain_db: 20, speaker_gain_db: -20 }), recorder().log).create(FMT);
    const r = p.process(new Int16Array(160).fill(100), new Int16Array(160).fill(1000));
    assert.deepEqual([...new Set(r.send)], [1000]);
    assert.deepEqual([...new Set(r.play)], [100]);
    assert.equal(p.description, 'mic 20 dB + speaker -20 dB');
  });

  it('takes the sample rate from the frame format (16 kHz wideband)', () => {
    const p = createVoiceProcessing(voice(), recorder().log).create({ sampleRate: 16000, frameSamples: 320 });
    const r = p.process(new Int16Array(320), new Int16Array(320));
    assert.equal(r.send.length, 320);
    p.close();
  });
});
