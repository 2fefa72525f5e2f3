// The delay the intercom adds to speech (nothing is asserted): RTP in -> playback and
// capture -> RTP out, through the real media loop and the real PortAudio backend on a
// private PulseAudio null sink (test/support/pulseaudio.ts), whose monitor is the
// capture device, so what the door plays it also hears.
//
// A peer on loopback streams RTP silence to the door and, once a second, a 20 ms click
// (a loud 1 kHz frame). For each click it notes:
//   t_in    the peer sent the click's RTP packet
//   t_play  the media loop handed the click to the audio sink (after the jitter buffer)
//   t_cap   the audio source returned the click captured from the device
//   t_out   the click's RTP packet came back to the peer
// and prints  RTP in -> sink (t_play - t_in), device round trip: PortAudio playback +
// PulseAudio + PortAudio capture (t_cap - t_play), source -> RTP out (t_out - t_cap),
// and the total. The device part cannot be split between playback and capture here.
//   node --import tsx scripts/bench/mouth-to-ear.ts [CLICKS]      (needs pulseaudio)
import dgram from 'node:dgram';
import type { AudioSink, AudioSource } from '../../src/audio/device.ts';
import { codecByName } from '../../src/media/codec.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import { openRtpSocket } from '../../src/net/rtp-socket.ts';
import { MediaLoop } from '../../src/runtime/media-loop.ts';
import { startPulseAudio } from '../../test/support/pulseaudio.ts';

const CLICKS = Number(process.argv[2] ?? 10);
const fmt = { sampleRate: 8000, frameSamples: 160 };
const LOUD_RMS = 3000;

function loud(frame: Int16Array): boolean {
  let sum = 0;
  for (const v of frame) sum += v * v;
  return Math.sqrt(sum / frame.length) > LOUD_RMS;
}

const codec = codecByName('PCMU');
if (!codec) throw new Error('PCMU is not registered');
const pulse = await startPulseAudio();
// libasound and libpulse read these when PortAudio first initialises, which is below.
Object.assign(process.env, pulse.env);
const { openAudioSink, openAudioSource } = await import('../../src/audio/registry.ts');

const marks = { play: [] as number[], cap: [] as number[], out: [] as number[], in: [] as number[] };
let source: AudioSource | undefined;
let sink: AudioSink | undefined;
try {
  const device = await openAudioSource('default', fmt);
  const speaker = await openAudioSink('default', fmt);
  source = device;
  sink = speaker;
  let lastCap = false;
  let lastPlay = false;
  const timedSource: AudioSource = {
    description: device.description,
    read() {
      const f = device.read();
      const l = loud(f);
      if (l && !lastCap) marks.cap.push(performance.now());
      lastCap = l;
      return f;
    },
    stats: () => device.stats(),
    close: () => device.close(),
  };
  const timedSink: AudioSink = {
    description: speaker.description,
    write(f) {
      const l = loud(f);
      if (l && !lastPlay) marks.play.push(performance.now());
      lastPlay = l;
      speaker.write(f);
    },
    stats: () => speaker.stats(),
    close: () => speaker.close(),
  };

  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind({ address: '127.0.0.1', port: 0 }, r));
  const peerPort = peer.address().port;
  let loop: MediaLoop | undefined;
  const socket = await openRtpSocket({ host: '127.0.0.1', onRtp: (b, f) => loop?.onRtp(b, f), onRtcp: (b, f) => loop?.onRtcp(b, f) });
  const session = new RtpSession({ codec, payloadType: 0, ptimeMs: 20 });
  loop = new MediaLoop({
    session,
    socket,
    source: timedSource,
    sink: timedSink,
    remote: { address: '127.0.0.1', port: peerPort },
    rtcpRemote: { address: '127.0.0.1', port: peerPort + 1 },
    ptimeMs: 20,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
  });
  let lastOut = false;
  peer.on('message', (msg) => {
    if (msg.length <= 12 || (msg[1]! & 0x7f) !== 0) return;
    const l = loud(codec.decode(msg.subarray(12)));
    if (l && !lastOut) marks.out.push(performance.now());
    lastOut = l;
  });

  const far = new RtpSession({ codec, payloadType: 0, ptimeMs: 20 });
  const click = new Int16Array(160).map((_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  const quiet = new Int16Array(160);
  loop.start();
  // 3 s of silence first: PulseAudio takes 1-2 s to get a stream going.
  const frames = 150 + CLICKS * 50;
  const t0 = performance.now();
  for (let n = 0; n < frames; n++) {
    const isClick = n >= 150 && (n - 150) % 50 === 0;
    if (isClick) marks.in.push(performance.now());
    peer.send(far.packetize(isClick ? click : quiet), socket.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + (n + 1) * 20 - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 1000));
  loop.stop();
  peer.close();
  await socket.close();
  console.log(`mouth-to-ear delay added by the intercom: ${CLICKS} clicks, PCMU 20 ms, PortAudio ${speaker.description} / ${device.description}`);
  console.log(`jitter buffer target ${session.stats().jitterTargetMs} ms; sink ${JSON.stringify(speaker.stats())}, source ${JSON.stringify(device.stats())}`);
  const after = (list: number[], t: number): number | undefined => list.find((x) => x >= t);
  const rows: number[][] = [];
  for (const tin of marks.in) {
    const tplay = after(marks.play, tin);
    const tcap = tplay === undefined ? undefined : after(marks.cap, tplay);
    const tout = tcap === undefined ? undefined : after(marks.out, tcap);
    if (tplay === undefined || tcap === undefined || tout === undefined || tout - tin > 900) continue;
    rows.push([tplay - tin, tcap - tplay, tout - tcap, tout - tin]);
  }
  const col = (i: number): string => {
    const v = rows.map((r) => r[i] as number).sort((a, b) => a - b);
    if (v.length === 0) return '-';
    return `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)} (min ${v[0]!.toFixed(1)}, max ${v[v.length - 1]!.toFixed(1)})`;
  };
  console.log(`clicks timed: ${rows.length} of ${marks.in.length}`);
  console.log(`RTP in -> sink (jitter buffer + frame clock):            ${col(0)} ms`);
  console.log(`device round trip (PortAudio out + PulseAudio + in):     ${col(1)} ms`);
  console.log(`source -> RTP out (capture ring + frame clock):          ${col(2)} ms`);
  console.log(`total RTP in -> RTP out:                                 ${col(3)} ms`);
} finally {
  await source?.close();
  await sink?.close();
  await pulse.stop();
}
process.exit(0);
