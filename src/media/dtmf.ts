// DTMF as RTP telephone-events (RFC 4733): the 4-byte event payload, a
// receiver that reports each key press exactly once however many packets
// describe it, and a sender that produces the packet series for one key.

/** One telephone-event payload (RFC 4733 §2.3). */
export interface TelephoneEvent {
  /** Event code: 0-9 digits, 10 '*', 11 '#', 12-15 A-D, 16 flash (§3.2). */
  event: number;
  /** E bit: this packet ends the event. */
  end: boolean;
  /** Power level as -dBm0 (0-63). */
  volume: number;
  /** Duration so far in RTP timestamp units. */
  duration: number;
}

/** A telephone-event payload that cannot be parsed. */
export class DtmfError extends Error {
  override name = 'DtmfError';
}

const DIGITS = '0123456789*#ABCD';

/** Key for an event code (0-15), or undefined for other events (flash, tones). */
export function eventToDigit(event: number): string | undefined {
  return event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

/** Event code for a key ('0'-'9', '*', '#', 'A'-'D', case-insensitive), or undefined. */
export function digitToEvent(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 ? undefined : i;
}

/** Parses the 4-byte telephone-event payload (RFC 4733 §2.3); throws DtmfError. */
export function parseTelephoneEvent(payload: Buffer): TelephoneEvent {
  if (payload.length < 4) throw new DtmfError(`telephone-event payload too short: ${payload.length} bytes, needs 4`);
  const flags = payload[1] as number;
  return {
    event: payload[0] as number,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}

/** Serialises a telephone-event payload (the R bit is always 0). */
export function serializeTelephoneEvent(e: TelephoneEvent): Buffer {
  const b = Buffer.alloc(4);
  b[0] = e.event & 0xff;
  b[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  b.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(e.duration))), 2);
  return b;
}

/** A key press recognised by DtmfReceiver. */
export interface DtmfDigit {
  digit: string;
  event: number;
  /** RTP timestamp of the event's start. */
  timestamp: number;
  volume: number;
}

/** What the receiver needs from an RTP packet carrying a telephone-event. */
export interface DtmfPacket {
  timestamp: number;
  payload: Buffer;
}

/**
 * Turns a stream of telephone-event packets into key presses.
 *
 * An event is identified by its RTP timestamp (RFC 4733 §2.5.1.2: all
 * packets of one event carry the start timestamp). The digit is reported on
 * the first packet seen for a new timestamp, whichever it is, so a lost
 * start packet does not lose the digit; repeated updates and the three
 * retransmitted end packets (§2.5.1.4) are then ignored. A long event that
 * the sender split into segments (§2.5.1.3) continues under a new timestamp
 * without an end bit in between and is not reported twice.
 */
export class DtmfReceiver {
  private current: { timestamp: number; event: number; ended: boolean; lastDuration: number } | undefined;

  /** Feeds one packet; returns the digit when this packet starts a new key press. */
  receive(p: DtmfPacket): DtmfDigit | undefined {
    let e: TelephoneEvent;
    try {
      e = parseTelephoneEvent(p.payload);
    } catch {
      return undefined;
    }
    const ts = p.timestamp >>> 0;
    const cur = this.current;
    if (cur) {
      const delta = (ts - cur.timestamp) | 0; // signed distance, wrap-safe
      if (delta === 0) {
        if (e.end) cur.ended = true;
        cur.lastDuration = Math.max(cur.lastDuration, e.duration);
        return undefined;
      }
      // A straggler from an earlier event.
      if (delta < 0) return undefined;
      const continuesSegment = !cur.ended && e.event === cur.event && delta <= cur.lastDuration;
      this.current = { timestamp: ts, event: e.event, ended: e.end, lastDuration: e.duration };
      if (continuesSegment) return undefined;
    } else {
      this.current = { timestamp: ts, event: e.event, ended: e.end, lastDuration: e.duration };
    }
    const digit = eventToDigit(e.event);
    if (digit === undefined) return undefined;
    return { digit, event: e.event, timestamp: ts, volume: e.volume };
  }

  /** Forgets the current event (e.g. when the remote stream restarts). */
  reset(): void {
    this.current = undefined;
  }
}

export interface DtmfSendOptions {
  /** How long the key is held (default 100 ms; RFC 4733 has no minimum, 40 ms+ is typical). */
  durationMs?: number;
  /** Interval between update packets (default 20 ms, one audio frame). */
  intervalMs?: number;
  /** Power level as -dBm0 (default 10). */
  volume?: number;
  /** RTP clock rate of the telephone-event stream (default 8000). */
  clockRate?: number;
}

/** One packet of an outgoing event; all share the event's start timestamp. */
export interface DtmfSendPacket {
  payload: Buffer;
  /** RFC 4733 §2.5.1.1: set on the first packet of the event. */
  marker: boolean;
  end: boolean;
}

/**
 * The packets for one key press, one list per update interval: an initial
 * packet with the marker bit, updates with growing duration, and the final
 * packet with the E bit sent three times (RFC 4733 §2.5.1.4) in the last
 * interval. Each list is sent at its interval; every packet takes its own
 * sequence number and the timestamp of the event's start.
 */
export function dtmfPacketSeries(digit: string, opts: DtmfSendOptions = {}): DtmfSendPacket[][] {
  const event = digitToEvent(digit);
  if (event === undefined) throw new DtmfError(`not a DTMF key: ${JSON.stringify(digit)} (expected 0-9, *, #, A-D)`);
  const clockRate = opts.clockRate ?? 8000;
  const interval = Math.round((clockRate * (opts.intervalMs ?? 20)) / 1000);
  const total = Math.max(interval, Math.round((clockRate * (opts.durationMs ?? 100)) / 1000));
  const volume = opts.volume ?? 10;
  const series: DtmfSendPacket[][] = [];
  // Duration counts from the event start to the end of the interval being
  // reported, so the first packet already covers one interval.
  for (let elapsed = interval; elapsed < total; elapsed += interval) {
    const payload = serializeTelephoneEvent({ event, end: false, volume, duration: elapsed });
    series.push([{ payload, marker: series.length === 0, end: false }]);
  }
  const final = serializeTelephoneEvent({ event, end: true, volume, duration: total });
  const endPacket = (marker: boolean): DtmfSendPacket => ({ payload: final, marker, end: true });
  series.push([endPacket(series.length === 0), endPacket(false), endPacket(false)]);
  return series;
}
