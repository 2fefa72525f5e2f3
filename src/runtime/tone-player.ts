// The door's speaker between calls. Outside a call nothing else writes to the
// sink, so this player runs its own 20 ms clock (the same drift-free schedule
// as the media loop) while a sound plays, and no clock at all when it is silent.
// When a call's media starts, the speaker is lent to the media loop: the player
// stops writing, and whatever it still has to play is handed to the loop frame by
// frame (mixed into both directions). When the call ends, the player takes the
// speaker back and finishes. So there is exactly one writer to the sink at any time.
import type { AudioFormat, AudioSink } from '../audio/device.ts';
import type { EventLog } from '../log/logger.ts';
import { FrameClock } from '../media/frame-clock.ts';
import type { Sound } from '../media/sound.ts';

/** The speaker to play on, its format and frame period, and where to log. */
export interface TonePlayerOptions {
  sink: AudioSink;
  format: AudioFormat;
  ptimeMs: number;
  log: EventLog;
}

/** Hands the media loop the next frame of whatever the player has to play; undefined when silent. */
export type ToneOverlay = () => Int16Array | undefined;

/** Plays one sound at a time on the speaker, or through the media loop while it has the speaker. */
export class TonePlayer {
  private sound: Sound | undefined;
  private lent = false;
  private closed = false;
  private clock: FrameClock | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: TonePlayerOptions) {}

  /** Name of the sound playing, if any. */
  get playing(): string | undefined {
    return this.sound?.name;
  }

  /** Whether the player's own clock is running (i.e. it is the sink's writer now). */
  get writing(): boolean {
    return this.timer !== undefined;
  }

  /** Plays `sound`, cutting off whatever played before. */
  play(sound: Sound): void {
    if (this.closed) return;
    this.sound = sound;
    this.opts.log.debug('tone.play', { sound: sound.name, via: this.lent ? 'call' : 'speaker' });
    if (!this.lent) this.startClock();
  }

  /** Stops whatever plays. */
  stop(): void {
    if (this.sound) this.opts.log.debug('tone.stop', { sound: this.sound.name });
    this.sound = undefined;
    this.stopClock();
  }

  /** Gives the speaker to a call's media loop; the returned overlay yields what the player still has to play. */
  lend(): ToneOverlay {
    this.lent = true;
    this.stopClock();
    return () => (this.lent ? this.take() : undefined);
  }

  /** Takes the speaker back after the media loop stopped writing to it. */
  reclaim(): void {
    if (!this.lent) return;
    this.lent = false;
    if (this.sound && !this.closed) this.startClock();
  }

  /** Stops for good; the sink stays open (it belongs to the caller). */
  close(): void {
    this.closed = true;
    this.stop();
  }

  /** The next frame of the current sound, forgetting the sound once it is over. */
  private take(): Int16Array | undefined {
    const s = this.sound;
    if (!s) return undefined;
    const frame = s.next(this.opts.format.frameSamples);
    if (!frame && this.sound === s) {
      this.sound = undefined;
      this.opts.log.debug('tone.done', { sound: s.name });
    }
    return frame;
  }

  private startClock(): void {
    if (this.timer) return;
    this.clock = new FrameClock({ startNs: process.hrtime.bigint(), frameMs: this.opts.ptimeMs });
    this.tick();
  }

  private stopClock(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clock = undefined;
  }

  private tick = (): void => {
    const clock = this.clock;
    if (!clock || this.lent) return;
    const due = clock.due(process.hrtime.bigint());
    for (let i = 0; i < due.frames; i++) {
      const frame = this.take();
      if (!frame) {
        // Nothing left: stop writing; a paced sink fills its own silence from here.
        this.stopClock();
        return;
      }
      this.opts.sink.write(frame);
    }
    this.timer = setTimeout(this.tick, Math.max(1, clock.delayUntilNextMs(process.hrtime.bigint())));
  };
}
