// A sound card that goes away mid-call (a USB card unplugged, a stream error)
// must not end the call or the process: the device is retired, the call goes
// on with silence, and the device is reopened in the background with growing
// pauses between attempts until it is back. Counters of every stream the
// device had are added up, so `status` shows what was survived.
import { emptyStats } from './device.ts';
import type { AudioFormat, AudioSink, AudioSource, AudioStats } from './device.ts';
import { oneLine } from './errors.ts';
import type { AudioLog } from './portaudio-stream.ts';

/** A device that can tell when it has stopped working. */
export interface Faultable {
  /** Why the device can no longer be used, or undefined while it works. */
  readonly fault: string | undefined;
  stats(): AudioStats;
  close(): Promise<void>;
}

/** Pauses between reopen attempts; the last one repeats. */
export const REOPEN_BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000, 5000, 10000];

interface RecoveryOptions<T> {
  description: string;
  /** Opens a fresh stream on the same device (by the same name or index as configured). */
  reopen: () => Promise<T>;
  log: AudioLog;
  backoffMs?: readonly number[];
}

/** Keeps one working device, replacing it when it faults. */
class Recovery<T extends Faultable> {
  private current: T | undefined;
  private readonly retired = emptyStats();
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private closed = false;
  private readonly backoff: readonly number[];

  constructor(
    first: T,
    private readonly opts: RecoveryOptions<T>,
  ) {
    this.current = first;
    this.backoff = opts.backoffMs && opts.backoffMs.length > 0 ? opts.backoffMs : REOPEN_BACKOFF_MS;
  }

  /** The device if it works; otherwise undefined, and a reopen is under way. */
  usable(): T | undefined {
    const d = this.current;
    if (!d) return undefined;
    const fault = d.fault;
    if (fault === undefined) return d;
    this.retire(d, fault);
    return undefined;
  }

  /** Counts a frame of silence made up while no device works. */
  missed(): void {
    this.retired.underruns++;
  }

  stats(): AudioStats {
    const s = this.current?.stats() ?? emptyStats();
    return { underruns: this.retired.underruns + s.underruns, overruns: this.retired.overruns + s.overruns, errors: this.retired.errors + s.errors };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const d = this.current;
    this.current = undefined;
    await d?.close();
  }

  private retire(d: T, fault: string): void {
    this.current = undefined;
    const s = d.stats();
    this.retired.underruns += s.underruns;
    this.retired.overruns += s.overruns;
    // The fault itself counts as one error, whether or not the stream reported it.
    this.retired.errors += Math.max(1, s.errors);
    this.opts.log('error', `${this.opts.description}: ${fault}; reopening it (silence meanwhile)`);
    void d.close().catch(() => {});
    this.attempts = 0;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = this.backoff[Math.min(this.attempts, this.backoff.length - 1)] as number;
    this.timer = setTimeout(() => void this.attempt(), delay);
    // A pending reopen must not keep a finished process alive.
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    this.attempts++;
    try {
      const d = await this.opts.reopen();
      if (this.closed) {
        await d.close();
        return;
      }
      this.current = d;
      this.opts.log('info', `${this.opts.description}: reopened after ${this.attempts} attempt${this.attempts === 1 ? '' : 's'}`);
    } catch (err) {
      // First failure and then every 10th: an unplugged card would otherwise log every few seconds forever.
      if (this.attempts === 1 || this.attempts % 10 === 0) {
        this.opts.log('warn', `${this.opts.description}: reopen attempt ${this.attempts} failed: ${oneLine(err)}; still trying`);
      }
      this.schedule();
    }
  }
}

/** A capture device that survives its stream failing: silence while it is reopened. */
export class RecoveringSource implements AudioSource {
  readonly description: string;
  private readonly recovery: Recovery<AudioSource & Faultable>;

  constructor(
    first: AudioSource & Faultable,
    private readonly fmt: AudioFormat,
    opts: RecoveryOptions<AudioSource & Faultable>,
  ) {
    this.description = first.description;
    this.recovery = new Recovery(first, opts);
  }

  read(): Int16Array {
    const d = this.recovery.usable();
    if (d) return d.read();
    this.recovery.missed();
    return new Int16Array(this.fmt.frameSamples);
  }

  stats(): AudioStats {
    return this.recovery.stats();
  }

  close(): Promise<void> {
    return this.recovery.close();
  }
}

/** A playback device that survives its stream failing: audio is dropped while it is reopened. */
export class RecoveringSink implements AudioSink {
  readonly description: string;
  private readonly recovery: Recovery<AudioSink & Faultable>;

  constructor(first: AudioSink & Faultable, opts: RecoveryOptions<AudioSink & Faultable>) {
    this.description = first.description;
    this.recovery = new Recovery(first, opts);
  }

  write(frame: Int16Array): void {
    this.recovery.usable()?.write(frame);
  }

  stats(): AudioStats {
    return this.recovery.stats();
  }

  close(): Promise<void> {
    return this.recovery.close();
  }
}
