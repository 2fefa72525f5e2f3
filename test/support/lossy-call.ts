// One direction of a call's media over a bad network, with the real media classes
// (RtpSession, MediaLoop, RtpSocket): a sender plays a 1 kHz tone, a userspace relay
// delays every datagram by a random 0..jitterMs, nftables drops lossPercent of what
// reaches the relay, and a receiver plays out into memory. Must run inside a private
// network namespace (lossy-call-child.ts under `unshare -n`): it sets up loopback
// and its own nftables table there, which vanish with the namespace.
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import type { AudioSink, AudioSource } from '../../src/audio/device.ts';
import { emptyStats } from '../../src/audio/device.ts';
import { codecByName } from '../../src/media/codec.ts';
import { RtpSession, type RtpSessionStats } from '../../src/media/rtp-session.ts';
import { openRtpSocket } from '../../src/net/rtp-socket.ts';
import { MediaLoop } from '../../src/runtime/media-loop.ts';

export interface LossyCallOptions {
  seconds: number;
  lossPercent: number;
  jitterMs: number;
  toneHz?: number;
  seed?: number;
}

export interface LossyCallResult {
  receiver: RtpSessionStats;
  sentPackets: number;
  /** Datagrams the relay got (after the nftables drop) and passed on. */
  relayed: number;
  /** nftables' own count of dropped datagrams. */
  nftDropped: number;
  /** Played-out audio of the last half of the call, 8 kHz mono. */
  tail: number[];
  /** The jitter buffer's target delay averaged over the played frames, ms. */
  meanTargetMs: number;
  /** Mean delay the relay added, ms. */
  meanNetworkMs: number;
  /** Mean delay from a frame's capture at the sender to its playout at the receiver, ms (tone onsets). */
  mouthToEarMs: number | undefined;
  /** Tone onsets timed (of those sent). */
  onsetsTimed: number;
  onsetsSent: number;
  /** Frames the receiver played in total. */
  playedFrames: number;
}

const RATE = 8000;
const FRAME = 160;
const PTIME = 20;

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
}

/** Loopback up, and an nftables rule that drops `percent` of UDP datagrams to `port`. */
function setUpNetwork(port: number, percent: number): void {
  sh('ip', ['link', 'set', 'lo', 'up']);
  sh('nft', ['add', 'table', 'inet', 'intercom_loss']);
  sh('nft', ['add', 'chain', 'inet', 'intercom_loss', 'in', '{ type filter hook input priority 0; }']);
  sh('nft', ['add', 'rule', 'inet', 'intercom_loss', 'in', 'udp', 'dport', String(port), 'numgen', 'random', 'mod', '100', '<', String(percent), 'counter', 'drop']);
}

function nftDropped(): number {
  const out = execFileSync('nft', ['list', 'table', 'inet', 'intercom_loss'], { encoding: 'utf8', timeout: 5000 });
  return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0);
}

/** Deterministic uniform [0, 1) numbers. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A tone in bursts (400 ms on, 100 ms off) so onsets can be timed; notes when each onset was read. */
class BurstToneSource implements AudioSource {
  readonly description = 'tone bursts';
  private n = 0;
  readonly onsets: number[] = [];
  constructor(private readonly hz: number) {}
  read(): Int16Array {
    const out = new Int16Array(FRAME);
    const frameInBurst = this.n % 25;
    if (frameInBurst === 0) this.onsets.push(performance.now());
    if (frameInBurst < 20) {
      for (let i = 0; i < FRAME; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * this.hz * (this.n * FRAME + i)) / RATE));
    }
    this.n++;
    return out;
  }
  stats() {
    return emptyStats();
  }
  async close(): Promise<void> {}
}

/** Keeps what is played, and when each tone onset (a loud frame after a quiet one) was played. */
class RecordingSink implements AudioSink {
  readonly description = 'memory';
  readonly frames: Int16Array[] = [];
  readonly onsets: number[] = [];
  private wasLoud = false;
  constructor(
    private readonly target: () => number,
    private readonly targets: number[],
  ) {}
  write(frame: Int16Array): void {
    this.frames.push(Int16Array.from(frame));
    this.targets.push(this.target());
    let sum = 0;
    for (const v of frame) sum += v * v;
    const loud = Math.sqrt(sum / frame.length) > 2000;
    if (loud && !this.wasLoud) this.onsets.push(performance.now());
    this.wasLoud = loud;
  }
  stats() {
    return emptyStats();
  }
  async close(): Promise<void> {}
}

const silence: AudioSource = {
  description: 'silence',
  read: () => new Int16Array(FRAME),
  stats: emptyStats,
  close: async () => undefined,
};

const log = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/** Runs the call and measures it; call only inside a private network namespace. */
export async function runLossyCall(opts: LossyCallOptions): Promise<LossyCallResult> {
  const codec = codecByName('PCMU');
  if (!codec) throw new Error('PCMU is not registered');
  const rnd = prng(opts.seed ?? 1);
  const relayPort = 4000;
  setUpNetwork(relayPort, opts.lossPercent);

  let receiverLoop: MediaLoop | undefined;
  let senderLoop: MediaLoop | undefined;
  const receiverSocket = await openRtpSocket({ host: '127.0.0.2', onRtp: (b, f) => receiverLoop?.onRtp(b, f), onRtcp: (b, f) => receiverLoop?.onRtcp(b, f) });
  const senderSocket = await openRtpSocket({ host: '127.0.0.1', onRtp: (b, f) => senderLoop?.onRtp(b, f), onRtcp: (b, f) => senderLoop?.onRtcp(b, f) });
  const relay = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => relay.bind({ address: '127.0.0.3', port: relayPort }, resolve));
  let relayed = 0;
  let networkDelay = 0;
  const pending = new Set<NodeJS.Timeout>();
  relay.on('message', (msg, from) => {
    // One way only: the receiver, following the relay by symmetric RTP, sends here too.
    if (from.address !== '127.0.0.1') return;
    relayed++;
    const delay = rnd() * opts.jitterMs;
    networkDelay += delay;
    const t = setTimeout(() => {
      pending.delete(t);
      relay.send(msg, receiverSocket.port, '127.0.0.2');
    }, delay);
    pending.add(t);
  });

  const sender = new RtpSession({ codec, payloadType: 0, ptimeMs: PTIME });
  const receiver = new RtpSession({ codec, payloadType: 0, ptimeMs: PTIME });
  const source = new BurstToneSource(opts.toneHz ?? 1000);
  const targets: number[] = [];
  const sink = new RecordingSink(() => receiver.stats().jitterTargetMs, targets);
  senderLoop = new MediaLoop({
    session: sender,
    socket: senderSocket,
    source,
    sink: { description: 'discard', write: () => undefined, stats: emptyStats, close: async () => undefined },
    remote: { address: '127.0.0.3', port: relayPort },
    rtcpRemote: { address: '127.0.0.2', port: receiverSocket.port + 1 },
    ptimeMs: PTIME,
    log,
  });
  receiverLoop = new MediaLoop({
    session: receiver,
    socket: receiverSocket,
    source: silence,
    sink,
    // Nowhere: were the sender to hear the receiver, symmetric RTP would make it
    // answer the receiver directly and bypass the relay.
    remote: { address: '127.0.0.4', port: 9 },
    rtcpRemote: { address: '127.0.0.4', port: 9 },
    ptimeMs: PTIME,
    log,
  });
  try {
    receiverLoop.start();
    senderLoop.start();
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  } finally {
    senderLoop.stop();
    receiverLoop.stop();
    for (const t of pending) clearTimeout(t);
    relay.close();
    await Promise.all([senderSocket.close(), receiverSocket.close()]);
  }
  const dropped = nftDropped();

  // Each sent onset matched with the first played onset after it (bursts are 500 ms apart,
  // delays well under that); onsets lost to concealment are skipped.
  const delays: number[] = [];
  let j = 0;
  for (const sent of source.onsets) {
    while (j < sink.onsets.length && (sink.onsets[j] as number) < sent) j++;
    const played = sink.onsets[j];
    if (played !== undefined && played - sent < 400) delays.push(played - sent);
  }
  const half = sink.frames.slice(Math.floor(sink.frames.length / 2));
  return {
    receiver: receiver.stats(),
    sentPackets: sender.stats().packetsSent,
    relayed,
    nftDropped: dropped,
    tail: half.flatMap((f) => Array.from(f)),
    meanTargetMs: targets.length ? targets.reduce((a, b) => a + b, 0) / targets.length : 0,
    meanNetworkMs: relayed ? networkDelay / relayed : 0,
    mouthToEarMs: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : undefined,
    onsetsTimed: delays.length,
    onsetsSent: source.onsets.length,
    playedFrames: sink.frames.length,
  };
}
