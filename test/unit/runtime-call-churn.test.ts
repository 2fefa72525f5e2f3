// Hundreds of short calls' worth of media with the file backend: per call an RTP
// socket, an RTP session, a media loop that has the speaker lent by the tone player
// (with a confirmation tone mixed in), then stop, reclaim, close. Nothing may be
// left behind: no timers, no sockets, no file descriptors.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openAudioSink, openAudioSource } from '../../src/audio/registry.ts';
import { encodeWav } from '../../src/audio/wav.ts';
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../../src/log/logger.ts';
import { codecByName } from '../../src/media/codec.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import { toneSound } from '../../src/media/sound.ts';
import { openRtpSocket } from '../../src/net/rtp-socket.ts';
import { MediaLoop } from '../../src/runtime/media-loop.ts';
import { TonePlayer } from '../../src/runtime/tone-player.ts';

const CALLS = 300;
const fmt = { sampleRate: 8000, frameSamples: 160 };

/** Kinds of live libuv resources (Timeout, UDPWRAP, FSReqCallback, ...) with their counts. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

const fds = () => readdirSync('/proc/self/fd').length;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('media loop churn', () => {
  it(`${CALLS} short calls leave no timers, sockets or descriptors behind`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intercom-churn-'));
    writeFileSync(join(dir, 'mic.wav'), encodeWav(new Int16Array(8000).fill(1000), 8000));
    const source = await openAudioSource(`file:${join(dir, 'mic.wav')}`, fmt);
    const sink = await openAudioSink(`file:${join(dir, 'speaker.wav')}`, fmt);
    const log = silentLogger();
    const player = new TonePlayer({ sink, format: fmt, ptimeMs: 20, log });
    const codec = codecByName('PCMU');
    assert.ok(codec);
    // A peer to send to, so sends succeed as in a real call.
    const peer = await openRtpSocket({ host: '127.0.0.1', onRtp: () => {}, onRtcp: () => {} });
    let received = 0;

    const call = async (n: number): Promise<void> => {
      const socket = await openRtpSocket({ host: '127.0.0.1', onRtp: (b, from) => loop.onRtp(b, from), onRtcp: () => {} });
      const session = new RtpSession({ codec, payloadType: 0, ptimeMs: 20, remote: { address: '127.0.0.1', port: peer.port } });
      const loop = new MediaLoop({
        session,
        socket,
        source,
        sink,
        remote: { address: '127.0.0.1', port: peer.port },
        rtcpRemote: { address: '127.0.0.1', port: peer.port + 1 },
        ptimeMs: 20,
        log,
        overlay: player.lend(),
      });
      if (n % 3 === 0) player.play(toneSound('confirm', { sampleRate: 8000, frequencies: [1400], durationMs: 100 }));
      loop.start();
      // Let the clock tick at least once more through its own timer.
      await new Promise((r) => setTimeout(r, n % 10 === 0 ? 25 : 0));
      loop.stop();
      player.reclaim();
      await socket.close();
      received++;
    };

    for (let n = 0; n < 20; n++) await call(n);
    await settle();
    const before = { res: resources(), fds: fds() };
    for (let n = 20; n < CALLS; n++) await call(n);
    player.stop();
    await settle();
    const after = { res: resources(), fds: fds() };
    assert.equal(received, CALLS);
    assert.equal(after.fds, before.fds, 'file descriptors leaked');
    for (const kind of new Set([...before.res.keys(), ...after.res.keys()])) {
      assert.ok((after.res.get(kind) ?? 0) <= (before.res.get(kind) ?? 0), `${kind}: ${before.res.get(kind) ?? 0} -> ${after.res.get(kind) ?? 0}`);
    }
    assert.equal(player.writing, false);
    await peer.close();
    await source.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
