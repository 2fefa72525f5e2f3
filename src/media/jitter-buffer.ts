// Receive-side jitter buffer: holds incoming RTP payloads for a target delay
// and hands them out in sequence-number order, one packet per playout tick.
//
// Playout is driven by sequence numbers (extended past the 16-bit wrap),
// which makes reordering, duplicates and losses exact; timestamps give the
// packet duration, so depth is measured in milliseconds. Sequence-number
// validation follows RFC 3550 §A.1: small backwards steps are misordering,
// a large jump either way is taken as a restart only when the next packet
// confirms it.
//
// Adaptive mode follows the stream's measured arrival jitter (delay-estimator.ts):
// the target rises at once to cover it, by holding playout at the next gap
// (the missing packet then still has a chance), and sinks one packet at a time
// after calm stretches. Bounded by the configured base and maximum.

import { DelayEstimator } from './delay-estimator.ts';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream, Hz. */
  clockRate: number;
  /** Packet duration assumed until timestamps show the real one (default 20). */
  frameMs?: number;
  /** Delay the buffer fills up to before playout starts (default 60). */
  targetDelayMs?: number;
  /** Beyond this depth the oldest packets are discarded (default 300). */
  maxDelayMs?: number;
  /** Follow measured arrival jitter (packets need arrivalMs) and underruns; shrink after calm periods (default false). */
  adaptive?: boolean;
  /** Upper bound for the adaptive target (default 200). */
  maxAdaptiveDelayMs?: number;
}

/** What the buffer needs of a received RTP packet. */
export interface JitterPacket {
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** Audio payload, or null for a packet that takes a sequence slot but carries no audio (e.g. a telephone-event). */
  payload: Buffer | null;
  /** When it arrived (monotonic ms); feeds the adaptive target. */
  arrivalMs?: number;
}

export type PushResult = 'buffered' | 'duplicate' | 'late' | 'reset' | 'probation' | 'dropped';

export type JitterFrame =
  /** The next packet in order. `ticks` is its duration in RTP clock units. */
  | { kind: 'frame'; payload: Buffer; sequence: number; timestamp: number; ticks: number }
  /** The next slot belongs to a packet without audio: play silence. */
  | { kind: 'silence'; sequence: number; ticks: number }
  /** The next packet never arrived: conceal `ticks` worth of audio. */
  | { kind: 'lost'; sequence: number; ticks: number }
  /** Nothing to play: not started yet, or ran dry (underrun). */
  | { kind: 'empty' };

export interface JitterCounters {
  received: number;
  duplicates: number;
  /** Arrived after their playout slot had passed. */
  late: number;
  /** Slots whose packet never came when it was due. */
  lost: number;
  /** Arrived after a packet with a higher sequence number. */
  reordered: number;
  /** Pops the caller has to conceal: lost slots plus underruns. */
  concealed: number;
  underruns: number;
  /** Discarded to bring an over-full buffer back to its target. */
  dropped: number;
  /** Restarts on a new SSRC or a confirmed sequence jump. */
  resets: number;
  /** Pops held back at a gap (and concealed) so the buffer could grow to a raised adaptive target. */
  stretched: number;
}

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const RING = 256;
/** Pops per window over which the minimum depth is watched before draining surplus. */
const DRAIN_WINDOW = 25;
/** Underrun-free pops after which the adaptive target shrinks by one frame (toward the measured need). */
const CALM_POPS = 500;

interface Slot {
  timestamp: number;
  payload: Buffer | null;
}

/** Sequence-ordered playout buffer with loss, duplicate and lateness accounting. */
export class JitterBuffer {
  private readonly clockRate: number;
  private readonly baseTargetMs: number;
  private readonly maxDelayMs: number;
  private readonly adaptive: boolean;
  private readonly maxAdaptiveMs: number;
  private targetMs: number;
  /** What the measured jitter calls for; the adaptive target never shrinks below it. */
  private neededMs: number;
  private readonly estimator: DelayEstimator | undefined;
  private packetTicks: number;

  private ssrc: number | undefined;
  private state: 'idle' | 'buffering' | 'playing' = 'idle';
  /** Extended sequence number of the next slot to play. */
  private nextSeq = 0;
  /** Highest extended sequence number received. */
  private highest = -1;
  private slots = new Map<number, Slot>();
  /** Whether anything was handed out since the last (re)start. */
  private started = false;
  /** A packet far outside the window, held until its successor confirms a restart. */
  private probe: JitterPacket | undefined;
  /** Recent outcomes by sequence, to tell a duplicate of a played packet from a late one. */
  private ringSeq = new Float64Array(RING).fill(-1);
  private ringPlayed = new Uint8Array(RING);
  private windowPops = 0;
  private windowMinDepth = Infinity;
  private calmPops = 0;

  readonly counters: JitterCounters = {
    received: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    reordered: 0,
    concealed: 0,
    underruns: 0,
    dropped: 0,
    resets: 0,
    stretched: 0,
  };

  constructor(opts: JitterBufferOptions) {
    this.clockRate = opts.clockRate;
    this.packetTicks = Math.round((opts.clockRate * (opts.frameMs ?? 20)) / 1000);
    this.baseTargetMs = opts.targetDelayMs ?? 60;
    this.targetMs = this.baseTargetMs;
    this.maxDelayMs = Math.max(opts.maxDelayMs ?? 300, this.baseTargetMs);
    this.adaptive = opts.adaptive ?? false;
    this.maxAdaptiveMs = Math.max(opts.maxAdaptiveDelayMs ?? 200, this.baseTargetMs);
    this.neededMs = this.baseTargetMs;
    this.estimator = this.adaptive ? new DelayEstimator({ clockRate: opts.clockRate }) : undefined;
  }

  /** Current target delay in milliseconds. */
  get targetDelayMs(): number {
    return this.targetMs;
  }

  /** Buffered audio in milliseconds, counted from the next slot to the newest packet. */
  get depthMs(): number {
    return this.ticksToMs(this.depthTicks());
  }

  /** Forgets everything buffered; the next packet starts a new stream. */
  reset(): void {
    this.ssrc = undefined;
    this.state = 'idle';
    this.slots.clear();
    this.probe = undefined;
    this.started = false;
    this.highest = -1;
    this.ringSeq.fill(-1);
    this.windowPops = 0;
    this.windowMinDepth = Infinity;
  }

  /** Takes in one received packet and says what became of it. */
  push(p: JitterPacket): PushResult {
    this.counters.received++;
    let result: PushResult;
    if (this.state === 'idle') {
      this.restart(p);
      result = 'buffered';
    } else if (p.ssrc !== this.ssrc) {
      this.counters.resets++;
      this.restart(p);
      result = 'reset';
    } else {
      result = this.accept(p);
    }
    if (result !== 'duplicate' && result !== 'probation') this.noteArrival(p);
    return result;
  }

  /** Adaptive mode: measures the jitter and raises the target at once when it needs more. */
  private noteArrival(p: JitterPacket): void {
    if (!this.estimator || p.arrivalMs === undefined || p.payload === null) return;
    this.estimator.observe(p.arrivalMs, p.timestamp);
    const spread = this.estimator.spreadMs();
    if (spread === undefined) return;
    const packet = this.packetMs();
    // One packet on top of the spread: the buffer is emptied a packet at a time.
    const needed = Math.ceil((spread + packet) / packet) * packet;
    this.neededMs = Math.min(Math.max(needed, this.baseTargetMs), this.maxAdaptiveMs);
    if (this.neededMs > this.targetMs) this.targetMs = this.neededMs;
  }

  /** Files a packet of the current stream into its slot. */
  private accept(p: JitterPacket): PushResult {
    const ext = this.extend(p.sequence);
    const behind = this.nextSeq - ext;
    const ahead = ext - this.highest;
    if (ahead > MAX_DROPOUT || behind > MAX_MISORDER) return this.probation(p);
    this.probe = undefined;

    if (behind > 0) {
      if (!this.started) {
        // Before playout begins an earlier packet simply becomes the start.
        this.nextSeq = ext;
      } else {
        const i = ext & (RING - 1);
        if (this.ringSeq[i] === ext && this.ringPlayed[i] === 1) {
          this.counters.duplicates++;
          return 'duplicate';
        }
        this.counters.late++;
        return 'late';
      }
    }
    if (this.slots.has(ext)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    if (ext < this.highest) this.counters.reordered++;
    this.slots.set(ext, { timestamp: p.timestamp >>> 0, payload: p.payload });
    if (ext > this.highest) this.highest = ext;
    this.learnPacketTicks(ext);
    return this.trimOverflow(ext);
  }

  /** Hands out the next slot; call once per packet duration of playout. */
  pop(): JitterFrame {
    if (this.state === 'idle') return { kind: 'empty' };
    if (this.state === 'buffering') {
      if (this.depthMs < this.targetMs || this.highest < this.nextSeq) return { kind: 'empty' };
      this.state = 'playing';
    }
    if (this.highest < this.nextSeq) {
      // Ran dry: wait for the target depth again. Slots keep their numbers,
      // so a delayed packet arriving now is still played, not counted late.
      this.state = 'buffering';
      this.counters.underruns++;
      this.counters.concealed++;
      this.calmPops = 0;
      if (this.adaptive) this.targetMs = Math.min(this.targetMs + this.packetMs(), this.maxAdaptiveMs);
      return { kind: 'empty' };
    }
    if (this.adaptive && !this.slots.has(this.nextSeq) && this.depthTicks() + this.packetTicks <= this.msToTicks(this.targetMs)) {
      // A gap while short of a raised target: wait one packet instead of declaring
      // it lost. The delay grows toward the target, and a late packet still plays.
      this.counters.stretched++;
      this.counters.concealed++;
      return { kind: 'empty' };
    }
    this.drainSurplus();
    return this.take();
  }

  private take(): JitterFrame {
    const seq = this.nextSeq;
    const slot = this.slots.get(seq);
    this.slots.delete(seq);
    this.nextSeq++;
    this.started = true;
    const i = seq & (RING - 1);
    this.ringSeq[i] = seq;
    this.ringPlayed[i] = slot ? 1 : 0;
    const sequence = seq & 0xffff;
    if (!slot) {
      this.counters.lost++;
      this.counters.concealed++;
      return { kind: 'lost', sequence, ticks: this.packetTicks };
    }
    const ticks = this.slotTicks(seq, slot);
    if (slot.payload === null) return { kind: 'silence', sequence, ticks };
    return { kind: 'frame', payload: slot.payload, sequence, timestamp: slot.timestamp, ticks };
  }

  /**
   * Keeps delay from creeping up (sender clock faster than ours, or a burst
   * after a stall): if the buffer stayed above target plus one packet
   * during a whole window, one packet is skipped. (Target plus one is the
   * normal level when a packet arrives just before each pop.) In adaptive mode a long
   * calm stretch also lowers the target by one packet.
   */
  private drainSurplus(): void {
    const depth = this.depthTicks();
    this.windowMinDepth = Math.min(this.windowMinDepth, depth);
    this.calmPops++;
    if (this.adaptive && this.calmPops >= CALM_POPS) {
      this.calmPops = 0;
      this.targetMs = Math.max(this.targetMs - this.packetMs(), this.neededMs);
    }
    if (++this.windowPops < DRAIN_WINDOW) return;
    const surplus = this.windowMinDepth - this.msToTicks(this.targetMs) - this.packetTicks;
    this.windowPops = 0;
    this.windowMinDepth = Infinity;
    if (surplus > 0 && this.slots.has(this.nextSeq)) {
      this.slots.delete(this.nextSeq);
      this.nextSeq++;
      this.counters.dropped++;
    }
  }

  private trimOverflow(ext: number): PushResult {
    const limit = this.msToTicks(this.maxDelayMs);
    if (this.depthTicks() <= limit) return 'buffered';
    // Discard from the oldest end down to the target depth.
    const target = this.msToTicks(this.targetMs);
    let droppedSelf = false;
    while (this.depthTicks() > target && this.nextSeq < this.highest) {
      if (this.slots.delete(this.nextSeq)) this.counters.dropped++;
      if (this.nextSeq === ext) droppedSelf = true;
      this.nextSeq++;
    }
    return droppedSelf ? 'dropped' : 'buffered';
  }

  private probation(p: JitterPacket): PushResult {
    const probe = this.probe;
    if (probe && p.sequence === ((probe.sequence + 1) & 0xffff)) {
      // Two packets in a row beyond the window: the sender restarted (§A.1).
      this.counters.resets++;
      this.restart(probe);
      this.accept(p);
      return 'reset';
    }
    this.probe = p;
    return 'probation';
  }

  private restart(p: JitterPacket): void {
    this.estimator?.reset();
    this.neededMs = this.baseTargetMs;
    this.slots.clear();
    this.probe = undefined;
    this.started = false;
    this.ssrc = p.ssrc;
    this.state = 'buffering';
    const seq = p.sequence & 0xffff;
    this.nextSeq = seq;
    this.highest = seq;
    this.ringSeq.fill(-1);
    this.windowPops = 0;
    this.windowMinDepth = Infinity;
    this.slots.set(seq, { timestamp: p.timestamp >>> 0, payload: p.payload });
  }

  /** Unwraps a 16-bit sequence number to the extended number nearest the newest one. */
  private extend(seq: number): number {
    const ref = this.highest;
    const diff = (((seq - ref) & 0xffff) << 16) >> 16; // signed 16-bit distance
    return ref + diff;
  }

  /** Measures the packet duration from two consecutive packets' timestamps. */
  private learnPacketTicks(ext: number): void {
    const here = this.slots.get(ext);
    const prev = this.slots.get(ext - 1);
    const next = this.slots.get(ext + 1);
    const sample = (a: Slot | undefined, b: Slot | undefined): void => {
      if (!a || !b || a.payload === null || b.payload === null) return;
      const d = (b.timestamp - a.timestamp) >>> 0;
      // Ignore timestamp jumps (silence suppression) and nonsense.
      if (d > 0 && d <= this.clockRate / 5) this.packetTicks = d;
    };
    sample(prev, here);
    sample(here, next);
  }

  private slotTicks(seq: number, slot: Slot): number {
    const next = this.slots.get(seq + 1);
    if (next && slot.payload !== null && next.payload !== null) {
      const d = (next.timestamp - slot.timestamp) >>> 0;
      if (d > 0 && d <= this.clockRate / 5) return d;
    }
    return this.packetTicks;
  }

  private depthTicks(): number {
    if (this.state === 'idle' || this.highest < this.nextSeq) return 0;
    return (this.highest - this.nextSeq + 1) * this.packetTicks;
  }

  private packetMs(): number {
    return this.ticksToMs(this.packetTicks);
  }

  private ticksToMs(ticks: number): number {
    return (ticks * 1000) / this.clockRate;
  }

  private msToTicks(ms: number): number {
    return Math.round((ms * this.clockRate) / 1000);
  }
}
