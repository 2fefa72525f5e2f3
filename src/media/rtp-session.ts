// The media side of one call, without I/O: turns captured PCM into RTP
// packets, received datagrams into played-out PCM and DTMF digits, and
// keeps the RTCP bookkeeping. The caller owns the UDP sockets and the clock
// and calls in: packetize() once per frame to send, receive() per datagram,
// playout() once per frame to play, buildRtcp() every few seconds.
import { randomBytes } from 'node:crypto';
import type { AudioCodec } from './codec.ts';
import { DtmfReceiver, dtmfPacketSeries } from './dtmf.ts';
import type { DtmfSendOptions, DtmfSendPacket } from './dtmf.ts';
import { JitterBuffer } from './jitter-buffer.ts';
import type { JitterBufferOptions } from './jitter-buffer.ts';
import { Concealer } from './plc.ts';
import {
  ReceptionStats,
  buildBye,
  buildReceiverReport,
  buildSdesCname,
  buildSenderReport,
  ntpFromUnixMs,
  parseRtcp,
  roundTripMs,
} from './rtcp.ts';
import type { ReportBlock } from './rtcp.ts';
import { RtpError, isRtcpPacket, parseRtp } from './rtp-packet.ts';
import type { RtpPacket } from './rtp-packet.ts';
import { RtpSender } from './rtp-sender.ts';

export interface Endpoint {
  address: string;
  port: number;
}

export interface RtpSessionOptions {
  codec: AudioCodec;
  /** Payload type negotiated for the codec. */
  payloadType: number;
  /** Payload type negotiated for telephone-event (RFC 4733), if any. */
  telephoneEventPt?: number;
  /** Frame duration for sending and playout (default 20). */
  ptimeMs?: number;
  jitter?: Omit<JitterBufferOptions, 'clockRate'>;
  /** RTCP canonical name (default: random, as RFC 7022 recommends). */
  cname?: string;
  /** Where the remote said (in SDP) it receives media; replaced by what media shows. */
  remote?: Endpoint;
  /**
   * Consecutive packets needed from a new address before media follows it
   * (default 3). One stray packet cannot hijack the stream, yet a peer whose
   * NAT binding changed is followed within a few frames.
   */
  relatchPackets?: number;
  /** Fixed sender values for tests; random by default. */
  ssrc?: number;
  initialSequence?: number;
  initialTimestamp?: number;
}

export interface ReceiveResult {
  /** What the datagram was: audio or a telephone-event for us, RTCP, or something ignored. */
  kind: 'audio' | 'dtmf' | 'rtcp' | 'ignored';
  /** Keys whose press began with this packet (RFC 4733). */
  digits: string[];
  /** Set when media now comes from (and so must be sent to) a new address. */
  remoteChanged?: Endpoint;
  /** Why the datagram was ignored. */
  reason?: string;
}

export interface RemoteReport {
  /** Fraction of our packets the remote lost in its last interval, 0-1. */
  fractionLost: number;
  cumulativeLost: number;
  jitterMs: number;
  rttMs?: number;
}

export interface RtcpReceiveResult {
  /** The remote sent BYE: its stream has ended. */
  bye: boolean;
  /** The remote's latest report about our stream, if this packet had one. */
  report?: RemoteReport;
}

export interface RtpSessionStats {
  packetsSent: number;
  octetsSent: number;
  packetsReceived: number;
  /** Packets that never arrived (RFC 3550 §A.3). */
  lost: number;
  /** Interarrival jitter (RFC 3550 §A.8) in milliseconds. */
  jitterMs: number;
  late: number;
  duplicates: number;
  reordered: number;
  /** Frames played from concealment instead of received audio. */
  concealed: number;
  /** The jitter buffer's current target delay, ms (adaptive: follows the measured jitter). */
  jitterTargetMs: number;
  /** Datagrams ignored: not RTP, wrong payload type, or from a foreign address. */
  ignored: number;
  digitsReceived: number;
  sourceMoves: number;
  /** Compound RTCP packets built for sending, and valid ones received. */
  rtcpSent: number;
  rtcpReceived: number;
  /** The remote's latest reception report about our stream (RFC 3550 §6.4). */
  remoteReport?: RemoteReport;
}

/** Normalises an IPv4-mapped IPv6 address so "::ffff:127.0.0.1" equals "127.0.0.1". */
function plainAddress(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && plainAddress(a.address) === plainAddress(b.address);
}

/** Per-call media core: RTP send/receive, jitter buffer, concealment, DTMF and RTCP. */
export class RtpSession {
  readonly codec: AudioCodec;
  readonly payloadType: number;
  readonly telephoneEventPt: number | undefined;
  readonly ptimeMs: number;
  readonly cname: string;
  private readonly sender: RtpSender;
  private readonly jitter: JitterBuffer;
  private readonly plc: Concealer;
  private readonly dtmfIn = new DtmfReceiver();
  private reception = new ReceptionStats();
  private readonly frameSamples: number;
  private readonly relatchPackets: number;

  private remote: Endpoint | undefined;
  /** True once media has been received from `remote`. */
  private latched = false;
  private candidate: { from: Endpoint; count: number } | undefined;
  private remoteSsrc: number | undefined;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private dtmfOut: { timestamp: number; groups: DtmfSendPacket[][] }[] = [];
  private dtmfQueue: { digit: string; opts: DtmfSendOptions }[] = [];
  private ignored = 0;
  private digitsReceived = 0;
  private rtcpSent = 0;
  private rtcpReceived = 0;
  private sourceMoves = 0;
  private concealedFrames = 0;
  private lastRemoteReport: RemoteReport | undefined;

  constructor(opts: RtpSessionOptions) {
    this.codec = opts.codec;
    this.payloadType = opts.payloadType;
    this.telephoneEventPt = opts.telephoneEventPt;
    this.ptimeMs = opts.ptimeMs ?? 20;
    this.cname = opts.cname ?? randomBytes(12).toString('base64url');
    this.frameSamples = opts.codec.frameSamples(this.ptimeMs);
    this.relatchPackets = Math.max(1, opts.relatchPackets ?? 3);
    this.remote = opts.remote;
    const senderOpts: ConstructorParameters<typeof RtpSender>[0] = { payloadType: opts.payloadType };
    if (opts.ssrc !== undefined) senderOpts.ssrc = opts.ssrc;
    if (opts.initialSequence !== undefined) senderOpts.initialSequence = opts.initialSequence;
    if (opts.initialTimestamp !== undefined) senderOpts.initialTimestamp = opts.initialTimestamp;
    this.sender = new RtpSender(senderOpts);
    // Adaptive unless told otherwise: a door's callers are on Wi-Fi and mobile networks.
    this.jitter = new JitterBuffer({ frameMs: this.ptimeMs, adaptive: true, ...opts.jitter, clockRate: opts.codec.clockRate });
    this.plc = new Concealer({ sampleRate: opts.codec.sampleRate, historyMs: this.ptimeMs });
  }

  /** Our SSRC. */
  get ssrc(): number {
    return this.sender.ssrc;
  }

  /** Where media should be sent: learned from received media, else the SDP address. */
  get remoteEndpoint(): Endpoint | undefined {
    return this.remote;
  }

  /** Whether DTMF can be sent as telephone-events (it was negotiated). */
  get canSendDtmf(): boolean {
    return this.telephoneEventPt !== undefined;
  }

  /** Encodes one frame of PCM into an RTP packet. */
  packetize(pcm: Int16Array): Buffer {
    const ticks = Math.round((pcm.length * this.codec.clockRate) / this.codec.sampleRate);
    return this.sender.sendFrame(this.codec.encode(pcm), ticks);
  }

  /**
   * Packets for one frame interval: normally the audio packet, but while a
   * queued DTMF key is being sent, its telephone-event packets instead
   * (RFC 4733 §2.5.1: audio for the key's duration is replaced by events).
   */
  packetizeFrame(pcm: Int16Array): Buffer[] {
    const ticks = Math.round((pcm.length * this.codec.clockRate) / this.codec.sampleRate);
    if (this.dtmfOut.length === 0) this.startNextDtmf();
    const event = this.dtmfOut[0];
    if (!event || this.telephoneEventPt === undefined) return [this.packetize(pcm)];
    const group = event.groups.shift() ?? [];
    const pt = this.telephoneEventPt;
    const packets = group.map((p) => this.sender.send(p.payload, { payloadType: pt, timestamp: event.timestamp, marker: p.marker }));
    this.sender.advance(ticks);
    if (event.groups.length === 0) {
      this.dtmfOut.shift();
      // Audio after the event starts a new talkspurt (RFC 3551 §4.1).
      this.sender.startTalkspurt();
    }
    return packets;
  }

  /**
   * Accounts for frames the caller's clock skipped (a stalled process): the
   * RTP timestamp moves on by their duration so it keeps matching real time,
   * and the next packet starts a new talkspurt (RFC 3551 §4.1).
   */
  skipFrames(count: number): void {
    if (count <= 0) return;
    this.sender.advance(count * this.codec.timestampTicks(this.ptimeMs));
    this.sender.startTalkspurt();
  }

  /** Queues keys to send as telephone-events; throws on a bad key or when none was negotiated. */
  queueDtmf(digits: string, opts: DtmfSendOptions = {}): void {
    if (this.telephoneEventPt === undefined) throw new RangeError('cannot send DTMF: telephone-event was not negotiated');
    for (const digit of digits) {
      dtmfPacketSeries(digit, opts); // validates the key now rather than mid-call
      this.dtmfQueue.push({ digit, opts });
    }
  }

  /** Takes in one datagram from the RTP socket. `arrivalMs` (monotonic) feeds the jitter estimate. */
  receive(buf: Buffer, from: Endpoint, arrivalMs?: number): ReceiveResult {
    if (isRtcpPacket(buf)) {
      // RTCP multiplexed on the RTP port (RFC 5761).
      const r = this.receiveRtcp(buf);
      return 'error' in r ? this.ignore(r.error) : { kind: 'rtcp', digits: [] };
    }
    let packet: RtpPacket;
    try {
      packet = parseRtp(buf);
    } catch (e) {
      return this.ignore(e instanceof RtpError ? e.message : 'unparseable RTP packet');
    }
    const isAudio = packet.payloadType === this.payloadType;
    const isEvent = this.telephoneEventPt !== undefined && packet.payloadType === this.telephoneEventPt;

    if (!isAudio && !isEvent) {
      // Same stream, unknown payload (e.g. comfort noise): it keeps its
      // sequence slot so it is not mistaken for loss, but is not played.
      const ours = this.remote && sameEndpoint(from, this.remote) && packet.ssrc === this.remoteSsrc;
      if (ours) {
        this.reception.update(packet.sequence, packet.timestamp);
        this.jitter.push({ sequence: packet.sequence, timestamp: packet.timestamp, ssrc: packet.ssrc, payload: null });
      }
      return this.ignore(`payload type ${packet.payloadType} was not negotiated`);
    }
    const moved = this.checkSource(from, packet.ssrc);
    if (moved === 'pending') {
      return this.ignore(`RTP from new address ${from.address}:${from.port} not yet confirmed (media is latched to ${this.describeRemote()})`);
    }

    if (packet.ssrc !== this.remoteSsrc) {
      // A new source: fresh statistics and DTMF state; the jitter buffer resets itself.
      if (this.remoteSsrc !== undefined) this.reception = new ReceptionStats();
      this.remoteSsrc = packet.ssrc;
      this.dtmfIn.reset();
    }
    const arrival = arrivalMs === undefined || !isAudio ? undefined : (arrivalMs * this.codec.clockRate) / 1000;
    this.reception.update(packet.sequence, packet.timestamp, arrival);
    this.jitter.push({
      sequence: packet.sequence,
      timestamp: packet.timestamp,
      ssrc: packet.ssrc,
      payload: isAudio ? packet.payload : null,
      ...(arrivalMs !== undefined && isAudio ? { arrivalMs } : {}),
    });

    const result: ReceiveResult = { kind: isAudio ? 'audio' : 'dtmf', digits: [] };
    if (moved === 'moved') result.remoteChanged = { address: from.address, port: from.port };
    if (isEvent) {
      const d = this.dtmfIn.receive(packet);
      if (d) {
        result.digits.push(d.digit);
        this.digitsReceived++;
      }
    }
    return result;
  }

  /** Produces the next frame to play: received audio, concealment, or silence. */
  playout(): Int16Array {
    const n = this.frameSamples;
    let concealed = false;
    const wasFaded = this.plc.faded;
    while (this.pendingSamples < n) {
      const f = this.jitter.pop();
      if (f.kind === 'empty') break;
      let pcm: Int16Array;
      if (f.kind === 'frame') {
        pcm = this.plc.good(this.codec.decode(f.payload));
      } else if (f.kind === 'lost') {
        pcm = this.plc.conceal(this.ticksToSamples(f.ticks));
        concealed = true;
      } else {
        pcm = new Int16Array(this.ticksToSamples(f.ticks));
        this.plc.good(pcm);
      }
      this.pending.push(pcm);
      this.pendingSamples += pcm.length;
    }
    if (this.pendingSamples < n) {
      // Underrun or not started: the concealer fades out the last audio, or gives silence.
      const fill = this.plc.conceal(n - this.pendingSamples);
      if (!wasFaded) concealed = true;
      this.pending.push(fill);
      this.pendingSamples += fill.length;
    }
    if (concealed) this.concealedFrames++;
    return this.takePending(n);
  }

  /** Builds our periodic compound RTCP packet: SR if we have sent, else RR, plus SDES CNAME (RFC 3550 §6.1). */
  buildRtcp(wallClockMs: number): Buffer {
    this.rtcpSent++;
    return Buffer.concat([this.report(wallClockMs), buildSdesCname(this.ssrc, this.cname)]);
  }

  /** Builds the final compound RTCP packet with BYE, for the end of the call (RFC 3550 §6.6). */
  buildRtcpBye(wallClockMs: number, reason?: string): Buffer {
    return Buffer.concat([this.report(wallClockMs), buildSdesCname(this.ssrc, this.cname), buildBye(this.ssrc, reason)]);
  }

  /** Takes in an RTCP datagram; `wallClockMs` enables LSR/DLSR bookkeeping and RTT. */
  receiveRtcp(buf: Buffer, wallClockMs?: number): RtcpReceiveResult | { error: string } {
    let packets;
    try {
      packets = parseRtcp(buf);
    } catch (e) {
      return { error: e instanceof Error ? e.message : 'unparseable RTCP packet' };
    }
    const result: RtcpReceiveResult = { bye: false };
    this.rtcpReceived++;
    for (const p of packets) {
      if (p.type === 'sr' && wallClockMs !== undefined && p.ssrc === this.remoteSsrc) {
        this.reception.noteSenderReport(p.sender.ntp, wallClockMs);
      }
      if (p.type === 'sr' || p.type === 'rr') {
        const mine = p.reports.find((r) => r.ssrc === this.ssrc);
        if (mine) {
          result.report = this.remoteReport(mine, wallClockMs);
          this.lastRemoteReport = result.report;
        }
      }
      if (p.type === 'bye' && (this.remoteSsrc === undefined || p.ssrcs.includes(this.remoteSsrc))) result.bye = true;
    }
    return result;
  }

  /** Counters for status output and logs. */
  stats(): RtpSessionStats {
    const jb = this.jitter.counters;
    const s: RtpSessionStats = {
      packetsSent: this.sender.packetCount,
      octetsSent: this.sender.octetCount,
      packetsReceived: this.reception.received,
      lost: Math.max(0, this.reception.lost),
      jitterMs: (this.reception.jitter * 1000) / this.codec.clockRate,
      late: jb.late,
      duplicates: jb.duplicates,
      reordered: jb.reordered,
      concealed: this.concealedFrames,
      jitterTargetMs: this.jitter.targetDelayMs,
      ignored: this.ignored,
      digitsReceived: this.digitsReceived,
      sourceMoves: this.sourceMoves,
      rtcpSent: this.rtcpSent,
      rtcpReceived: this.rtcpReceived,
    };
    if (this.lastRemoteReport) s.remoteReport = this.lastRemoteReport;
    return s;
  }

  private report(wallClockMs: number): Buffer {
    const blocks: ReportBlock[] = this.remoteSsrc === undefined ? [] : [this.reception.reportBlock(this.remoteSsrc, wallClockMs)];
    if (this.sender.packetCount === 0) return buildReceiverReport(this.ssrc, blocks);
    // The RTP timestamp that corresponds to "now" is taken as the timestamp
    // of the next frame: with frames sent on schedule it is at most one
    // frame off, well inside what lip-sync or RTT estimates care about.
    return buildSenderReport(
      this.ssrc,
      {
        ntp: ntpFromUnixMs(wallClockMs),
        rtpTimestamp: this.sender.timestamp,
        packetCount: this.sender.packetCount,
        octetCount: this.sender.octetCount,
      },
      blocks,
    );
  }

  private remoteReport(block: ReportBlock, wallClockMs: number | undefined): RemoteReport {
    const r: RemoteReport = {
      fractionLost: block.fractionLost / 256,
      cumulativeLost: block.cumulativeLost,
      jitterMs: (block.jitter * 1000) / this.codec.clockRate,
    };
    if (wallClockMs !== undefined) {
      const rtt = roundTripMs(block, wallClockMs);
      if (rtt !== undefined) r.rttMs = rtt;
    }
    return r;
  }

  /**
   * Symmetric RTP (RFC 4961 §4): media is sent to where the remote's media
   * comes from. The first valid packet latches the address; afterwards a
   * different address is followed only after `relatchPackets` consecutive
   * packets from it.
   */
  private checkSource(from: Endpoint, ssrc: number): 'same' | 'moved' | 'pending' {
    if (!this.latched) {
      this.latched = true;
      if (this.remote && sameEndpoint(from, this.remote)) return 'same';
      this.moveTo(from);
      return 'moved';
    }
    if (this.remote && sameEndpoint(from, this.remote)) {
      this.candidate = undefined;
      return 'same';
    }
    // Only the stream we already play may move (a NAT rebinding keeps its
    // SSRC): a stranger who cannot see that SSRC must not take the media over
    // and receive the door's audio ("RTP bleed").
    if (this.remoteSsrc !== undefined && ssrc !== this.remoteSsrc) return 'pending';
    if (this.candidate && sameEndpoint(this.candidate.from, from)) this.candidate.count++;
    else this.candidate = { from: { address: from.address, port: from.port }, count: 1 };
    if (this.candidate.count < this.relatchPackets) return 'pending';
    this.moveTo(from);
    return 'moved';
  }

  private moveTo(from: Endpoint): void {
    this.remote = { address: from.address, port: from.port };
    this.candidate = undefined;
    this.sourceMoves++;
  }

  private describeRemote(): string {
    return this.remote ? `${this.remote.address}:${this.remote.port}` : 'nothing';
  }

  private ignore(reason: string): ReceiveResult {
    this.ignored++;
    return { kind: 'ignored', digits: [], reason };
  }

  private startNextDtmf(): void {
    const next = this.dtmfQueue.shift();
    if (!next) return;
    // RFC 4733 §2.1: events use the audio stream's clock.
    const opts: DtmfSendOptions = { intervalMs: this.ptimeMs, ...next.opts, clockRate: this.codec.clockRate };
    this.dtmfOut.push({ timestamp: this.sender.timestamp, groups: dtmfPacketSeries(next.digit, opts) });
  }

  private ticksToSamples(ticks: number): number {
    return Math.round((ticks * this.codec.sampleRate) / this.codec.clockRate);
  }

  private takePending(n: number): Int16Array {
    const out = new Int16Array(n);
    let o = 0;
    while (o < n) {
      const head = this.pending[0] as Int16Array;
      const take = Math.min(head.length, n - o);
      out.set(head.subarray(0, take), o);
      o += take;
      if (take === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(take);
    }
    this.pendingSamples -= n;
    return out;
  }
}
