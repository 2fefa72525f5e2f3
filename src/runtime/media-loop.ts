// The running media of one call: the only clock of the call's audio. Every
// 20 ms (on a monotonic clock, without drift: frame k is due at start + k*20 ms)
// it pulls a capture frame, sends it as RTP, and plays one frame out of the
// jitter buffer. Incoming RTP and RTCP are fed to the pure session core.
import type { AudioSink, AudioSource } from '../audio/device.ts';
import type { VoiceProcessor } from '../audio/dsp/processing.ts';
import { FrameClock } from '../media/frame-clock.ts';
import { mixFrames } from '../media/mix.ts';
import type { RtpSession, RtpSessionStats } from '../media/rtp-session.ts';
import type { RtpSocket } from '../net/rtp-socket.ts';
import type { EventLog } from '../log/logger.ts';

export type MediaLog = EventLog;

export interface MediaLoopOptions {
  session: RtpSession;
  socket: RtpSocket;
  source: AudioSource;
  sink: AudioSink;
  /** Where to send until the peer's media shows us where it really comes from (symmetric RTP). */
  remote: { address: string; port: number };
  rtcpRemote: { address: string; port: number };
  ptimeMs: number;
  log: MediaLog;
  onDigit?: (digit: string) => void;
  /** A sound to add to both directions (door-open confirmation, call-ending warning): one frame per tick, undefined when silent. */
  overlay?: () => Int16Array | undefined;
  /** Echo cancellation, noise suppression and gains for this call; stop() frees it. */
  processor?: VoiceProcessor;
}

/** RFC 3550 §6.2: with one sender per side, a 5 s report interval is the usual minimum. */
const RTCP_INTERVAL_MS = 5000;

export class MediaLoop {
  private timer?: NodeJS.Timeout;
  private rtcpTimer?: NodeJS.Timeout;
  private clock?: FrameClock;
  private remote: { address: string; port: number };
  private rtcpRemote: { address: string; port: number };
  private running = false;

  constructor(private readonly opts: MediaLoopOptions) {
    this.remote = opts.remote;
    this.rtcpRemote = opts.rtcpRemote;
  }

  /** Starts sending and playing out. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.clock = new FrameClock({ startNs: process.hrtime.bigint(), frameMs: this.opts.ptimeMs });
    this.tick();
    this.rtcpTimer = setInterval(() => this.sendRtcp(), RTCP_INTERVAL_MS);
  }

  /** Points the media at a new address (re-INVITE), until symmetric RTP says otherwise. */
  retarget(remote: { address: string; port: number }, rtcpRemote: { address: string; port: number }): void {
    this.remote = remote;
    this.rtcpRemote = rtcpRemote;
  }

  /** The session's counters: packets received and lost, interarrival jitter... */
  stats(): RtpSessionStats {
    return this.opts.session.stats();
  }

  /** Feeds an RTP datagram from the socket. */
  onRtp(packet: Buffer, from: { address: string; port: number }): void {
    const r = this.opts.session.receive(packet, from, performance.now());
    if (r.remoteChanged) {
      // Symmetric RTP (RFC 4961): answer to where the peer's media really comes from (NAT).
      this.remote = { ...r.remoteChanged };
      this.opts.log.info('media.remote-learned', { address: r.remoteChanged.address, port: r.remoteChanged.port });
    }
    for (const d of r.digits) this.opts.onDigit?.(d);
  }

  /** Feeds an RTCP datagram from the socket. */
  onRtcp(packet: Buffer, from: { address: string; port: number }): void {
    this.opts.session.receiveRtcp(packet, Date.now());
    this.rtcpRemote = { ...from };
  }

  private tick = (): void => {
    if (!this.running || !this.clock) return;
    const now = process.hrtime.bigint();
    const due = this.clock.due(now);
    for (let i = 0; i < due.frames; i++) {
      const extra = this.opts.overlay?.();
      // Mixed into what is sent and what is played, so the person inside hears it as well as the visitor.
      const out = this.opts.session.playout();
      const heard = extra ? mixFrames(out, extra) : out;
      // The microphone frame and the frame played in the same period go through the processor
      // together: the echo canceller's reference is exactly what the speaker plays.
      const mic = this.opts.source.read();
      const { send, play } = this.opts.processor ? this.opts.processor.process(mic, heard) : { send: mic, play: heard };
      // The overlay joins the sent audio after processing: it is no echo and must not be ducked.
      const pcm = extra ? mixFrames(send, extra) : send;
      for (const p of this.opts.session.packetizeFrame(pcm)) this.opts.socket.sendRtp(p, this.remote);
      this.opts.sink.write(play);
    }
    if (due.skipped > 0) {
      // Keep RTP timestamps on real time so the far end's jitter buffer sees a gap, not a drift.
      this.opts.session.skipFrames(due.skipped);
      this.opts.log.debug('media.clock-skip', { frames: due.skipped });
    }
    this.timer = setTimeout(this.tick, Math.max(1, this.clock.delayUntilNextMs(process.hrtime.bigint())));
  };

  private sendRtcp(): void {
    try {
      this.opts.socket.sendRtcp(this.opts.session.buildRtcp(Date.now()), this.rtcpRemote);
    } catch (e) {
      this.opts.log.debug('media.rtcp-error', { reason: (e as Error).message });
    }
  }

  /** Stops the clock and frees the processor; the socket and devices belong to the caller. */
  stop(): void {
    this.running = false;
    this.opts.processor?.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.rtcpTimer) clearInterval(this.rtcpTimer);
  }
}
