// Watches the registrar with OPTIONS (RFC 3261 §11): every `intervalMs` while
// it answers (which also keeps a NAT binding toward it open), and in short
// cycles while it does not. The first answer after an outage — any status:
// even 404 or 405 proves the server is up — is reported at once, so the
// registration is renewed within seconds of the server's return rather than
// after a back-off that may have grown to a minute; a registrar that restarted
// has usually forgotten our binding.
import type { TimerHandle } from './clock.ts';
import { newCallId, newTag } from './ids.ts';
import type { ClientTransaction } from './transaction.ts';
import type { UaLog, UserAgent } from './user-agent.ts';

export interface ServerMonitorOptions {
  /** Between probes while the server answers (ms). */
  intervalMs: number;
  /** Length of one probe cycle while it does not (ms); a fresh OPTIONS starts each cycle. */
  probeMs: number;
  log: UaLog;
  /** The server answered after having been lost (or after the registration failed). */
  onBack(): void;
  /** The server stopped answering. */
  onLost?(reason: string): void;
}

/** Defaults: a 25 s keep-alive (below common UDP NAT timeouts of 30 s) and 5 s probe cycles. */
export const SERVER_MONITOR_DEFAULTS = { intervalMs: 25_000, probeMs: 5_000 };

export class ServerMonitor {
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private down = false;
  private timer?: TimerHandle;
  private probe?: ClientTransaction;
  private stopped = true;

  constructor(
    private readonly ua: UserAgent,
    private readonly opts: ServerMonitorOptions,
  ) {
    this.callId = newCallId(ua.identity.domain);
  }

  /** Whether the last probe went unanswered. */
  get serverDown(): boolean {
    return this.down;
  }

  /** Starts probing (first probe after one interval). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.opts.intervalMs);
  }

  /**
   * Says the server is not answering, as learned elsewhere (a REGISTER timed
   * out or could not be sent): switch to short probe cycles now.
   */
  markDown(reason: string): void {
    if (this.stopped) return;
    if (this.down) return; // already probing in short cycles
    this.down = true;
    this.opts.log.warn('sip.server-lost', { reason });
    this.opts.onLost?.(reason);
    this.schedule(0);
  }

  /** Stops probing and ends a probe in flight. */
  stop(): void {
    this.stopped = true;
    this.ua.timers.clear(this.timer);
    this.probe?.terminate();
    this.probe = undefined;
  }

  private schedule(ms: number): void {
    this.ua.timers.clear(this.timer);
    this.timer = this.ua.timers.set(ms, () => this.send());
  }

  private send(): void {
    if (this.stopped) return;
    if (!this.down && this.probe) {
      // Healthy pace: let the probe in flight run to its own timeout (Timer F).
      this.schedule(this.opts.intervalMs);
      return;
    }
    // While down, each cycle replaces the previous probe, so there is one
    // transaction at a time and its retransmissions (T1 doubling) keep the
    // gaps between packets to a couple of seconds.
    this.probe?.terminate();
    const ua = this.ua;
    const uri = `sip:${ua.identity.domain}`;
    const req = ua.buildRequest({
      method: 'OPTIONS',
      uri,
      from: ua.fromHeader(this.fromTag),
      to: { uri, params: {} },
      callId: this.callId,
      cseq: ++this.cseq,
    });
    const tx = ua.sendRequest(req, (o) => {
      if (this.probe !== tx) return;
      if (o.kind === 'response' && o.response.status < 200) return;
      this.probe = undefined;
      if (o.kind === 'response') return this.answered();
      this.lost(o.kind === 'timeout' ? 'no answer to OPTIONS' : o.reason);
    });
    this.probe = tx;
    this.schedule(this.down ? this.opts.probeMs : this.opts.intervalMs);
  }

  private answered(): void {
    const wasDown = this.down;
    this.down = false;
    if (wasDown) {
      this.opts.log.info('sip.server-back', {});
      this.opts.onBack();
      // Back to the slow pace from now on.
      this.schedule(this.opts.intervalMs);
    }
  }

  private lost(reason: string): void {
    // Already probing: the next cycle is scheduled (a refused connection
    // fails at once, and must not turn into a busy loop).
    if (this.down) return;
    this.down = true;
    this.opts.log.warn('sip.server-lost', { reason });
    this.opts.onLost?.(reason);
    this.schedule(0);
  }
}
