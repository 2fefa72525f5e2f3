// Outgoing RTP stream state for one SSRC: sequence numbers, timestamps,
// talkspurt markers and the counters an RTCP sender report needs.
import { randomBytes } from 'node:crypto';
import { serializeRtp } from './rtp-packet.ts';

export interface RtpSenderOptions {
  payloadType: number;
  /** Fixed values for tests; by default each is random (RFC 3550 §5.1, §8.1). */
  ssrc?: number;
  initialSequence?: number;
  initialTimestamp?: number;
}

export interface SendOptions {
  /** Payload type for this packet only (e.g. telephone-event); default the stream's. */
  payloadType?: number;
  /** RTP timestamp for this packet only; default the stream's current one. */
  timestamp?: number;
  marker?: boolean;
}

function random32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Packetizer state for one outgoing RTP stream. */
export class RtpSender {
  readonly ssrc: number;
  readonly payloadType: number;
  /** Sequence number the next packet will carry. */
  private sequence: number;
  /** Timestamp of the next audio frame. */
  private nextTimestamp: number;
  /** RFC 3551 §4.1: the first packet after silence carries the marker bit. */
  private talkspurtPending = true;
  /** Packets sent, for the SR sender's packet count (RFC 3550 §6.4.1). */
  packetCount = 0;
  /** Payload octets sent, headers and padding excluded (RFC 3550 §6.4.1). */
  octetCount = 0;

  constructor(opts: RtpSenderOptions) {
    // Random initial values make known-plaintext attacks on encrypted
    // streams harder and keep a restarted stream from looking like a
    // continuation of the previous one (RFC 3550 §5.1).
    this.payloadType = opts.payloadType;
    this.ssrc = (opts.ssrc ?? random32()) >>> 0;
    this.sequence = (opts.initialSequence ?? random32()) & 0xffff;
    this.nextTimestamp = (opts.initialTimestamp ?? random32()) >>> 0;
  }

  /** Timestamp the next audio frame will carry (the stream's "now" in RTP units). */
  get timestamp(): number {
    return this.nextTimestamp;
  }

  /** Sequence number the next packet will carry. */
  get nextSequence(): number {
    return this.sequence;
  }

  /** Sends one audio frame covering `ticks` RTP clock units; returns the packet bytes. */
  sendFrame(payload: Buffer, ticks: number): Buffer {
    const packet = this.send(payload, { marker: this.talkspurtPending });
    this.talkspurtPending = false;
    this.advance(ticks);
    return packet;
  }

  /** Builds a packet without moving the timestamp (for events that share one timestamp). */
  send(payload: Buffer, opts: SendOptions = {}): Buffer {
    const bytes = serializeRtp({
      marker: opts.marker ?? false,
      payloadType: opts.payloadType ?? this.payloadType,
      sequence: this.sequence,
      timestamp: opts.timestamp ?? this.nextTimestamp,
      ssrc: this.ssrc,
      csrcs: [],
      payload,
    });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.packetCount = (this.packetCount + 1) >>> 0;
    this.octetCount = (this.octetCount + payload.length) >>> 0;
    return bytes;
  }

  /** Moves the timestamp on by `ticks` without sending (silence, skipped frames). */
  advance(ticks: number): void {
    this.nextTimestamp = (this.nextTimestamp + ticks) >>> 0;
  }

  /** Marks the next audio frame as the first of a talkspurt (after silence or a pause). */
  startTalkspurt(): void {
    this.talkspurtPending = true;
  }
}
