import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyStats, type AudioSink } from '../../src/audio/device.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { pcmSound, toneSound } from '../../src/media/sound.ts';
import { TonePlayer } from '../../src/runtime/tone-player.ts';

const FORMAT = { sampleRate: 8000, frameSamples: 160 };

function recordingSink(): AudioSink & { frames: Int16Array[] } {
  const frames: Int16Array[] = [];
  return { description: 'test', frames, write: (f) => void frames.push(f), stats: emptyStats, close: async () => {} };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), what);
}

const peak = (f: Int16Array) => f.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('tone player', () => {
  it('writes a finite sound to the speaker frame by frame, then stops its clock', async () => {
    const sink = recordingSink();
    const p = new TonePlayer({ sink, format: FORMAT, ptimeMs: 20, log: silentLogger() });
    p.play(toneSound('beep', { sampleRate: 8000, frequencies: [1000], levelDbfs: -6, durationMs: 100 }));
    assert.equal(p.writing, true);
    await until('sound finished', () => !p.writing);
    assert.equal(sink.frames.length, 5);
    assert.ok(sink.frames.every((f) => f.length === 160 && peak(f) > 10000));
    assert.equal(p.playing, undefined);
  });

  it('while lent to a call it never writes; the media loop takes the rest through the overlay; reclaim finishes it', async () => {
    const sink = recordingSink();
    const p = new TonePlayer({ sink, format: FORMAT, ptimeMs: 20, log: silentLogger() });
    const overlay = p.lend();
    assert.equal(overlay(), undefined, 'silent player: nothing to mix');
    const pcm = new Int16Array(160 * 4).fill(1000);
    p.play(pcmSound('prompt', pcm));
    assert.equal(p.writing, false, 'no second writer while the call has the speaker');
    assert.equal(overlay()?.[0], 1000);
    assert.equal(overlay()?.[0], 1000);
    p.reclaim();
    await until('rest played on the speaker', () => !p.writing);
    assert.equal(sink.frames.length, 2);
    assert.equal(overlay(), undefined, 'a stale overlay yields nothing after reclaim');
  });

  it('stop() and close() end an endless sound; play() replaces the current one', async () => {
    const sink = recordingSink();
    const p = new TonePlayer({ sink, format: FORMAT, ptimeMs: 20, log: silentLogger() });
    p.play(toneSound('ringback', { sampleRate: 8000, frequencies: [425], cadenceMs: [1000, 4000] }));
    p.play(toneSound('busy', { sampleRate: 8000, frequencies: [425], cadenceMs: [480, 480] }));
    assert.equal(p.playing, 'busy');
    await until('some frames', () => sink.frames.length >= 2);
    p.stop();
    assert.equal(p.writing, false);
    p.play(toneSound('x', { sampleRate: 8000, frequencies: [425] }));
    p.close();
    const n = sink.frames.length;
    p.play(toneSound('y', { sampleRate: 8000, frequencies: [425] }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sink.frames.length, n, 'closed: nothing more is written');
  });
});
