import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codecByName, codecNames, registerCodec } from '../../src/media/codec.ts';
import type { AudioCodec } from '../../src/media/codec.ts';

describe('codec registry', () => {
  it('finds PCMU and PCMA case-insensitively', () => {
    assert.equal(codecByName('pcmu')?.name, 'PCMU');
    assert.equal(codecByName('PcMa')?.name, 'PCMA');
    assert.equal(codecByName('G729'), undefined);
    assert.deepEqual(codecNames().slice(0, 2), ['PCMU', 'PCMA']);
  });

  it('gives frame sizes for G.711', () => {
    const c = codecByName('PCMU');
    assert.ok(c);
    assert.equal(c.frameSamples(20), 160);
    assert.equal(c.timestampTicks(30), 240);
    assert.equal(c.staticPayloadType, 0);
    assert.equal(codecByName('PCMA')?.staticPayloadType, 8);
  });

  it('round-trips a frame through each codec', () => {
    const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    for (const name of ['PCMU', 'PCMA']) {
      const c = codecByName(name);
      assert.ok(c);
      const payload = c.encode(pcm);
      assert.equal(payload.length, 160);
      const back = c.decode(payload);
      for (let i = 0; i < pcm.length; i++) {
        assert.ok(Math.abs((back[i] as number) - (pcm[i] as number)) <= 256, `${name} sample ${i}`);
      }
    }
  });

  it('accepts a wideband codec whose sample rate differs from its clock rate', () => {
    const wide: AudioCodec = {
      name: 'X-WIDE',
      clockRate: 8000,
      sampleRate: 16000,
      channels: 1,
      frameSamples: (ms) => (16000 * ms) / 1000,
      timestampTicks: (ms) => (8000 * ms) / 1000,
      encode: (pcm) => Buffer.alloc(pcm.length / 2),
      decode: (payload) => new Int16Array(payload.length * 2),
    };
    registerCodec(wide);
    const c = codecByName('x-wide');
    assert.equal(c?.frameSamples(20), 320);
    assert.equal(c?.timestampTicks(20), 160);
  });
});
