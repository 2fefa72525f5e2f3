// Keeps the station pointed at its registrar for years: resolves sip.server
// through the system resolver (so /etc/hosts is honoured), starts even when
// the name does not resolve yet and keeps trying, resolves again whenever the
// server stops answering (its address may have changed: a router handing out
// a new lease), and renews the registration the moment the server answers
// again (ServerMonitor) instead of waiting out the back-off.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Registration } from '../sip/registration.ts';
import { ServerMonitor, SERVER_MONITOR_DEFAULTS } from '../sip/server-monitor.ts';
import type { Protocol } from '../sip/transport-port.ts';
import type { UaLog, UserAgent } from '../sip/user-agent.ts';

export interface ServerLinkOptions {
  host: string;
  port: number;
  protocol: Protocol;
  log: UaLog;
  /** Name to address; default: dns.lookup (the system resolver with /etc/hosts). */
  resolve?: (host: string) => Promise<string>;
  /** Between resolution attempts while the name does not resolve (ms). */
  retryResolveMs?: number;
  monitor?: { intervalMs: number; probeMs: number };
}

/** Resolves a host name the way the system does (A/AAAA and /etc/hosts). */
export async function systemResolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

export class ServerLink {
  readonly monitor: ServerMonitor;
  private readonly resolve: (host: string) => Promise<string>;
  private retryTimer?: NodeJS.Timeout;
  private resolving = false;
  private started = false;
  private stopped = false;
  private unresolvedLogged = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly registration: Registration,
    private readonly opts: ServerLinkOptions,
  ) {
    this.resolve = opts.resolve ?? systemResolve;
    this.monitor = new ServerMonitor(ua, {
      ...(opts.monitor ?? SERVER_MONITOR_DEFAULTS),
      log: opts.log,
      onBack: () => registration.retryNow(),
      onLost: () => void this.reresolve(),
    });
  }

  /** The registrar's current address, once the name has resolved. */
  get address(): string | undefined {
    return this.ua.identity.outboundProxy?.address;
  }

  /** Points the UA at the server (given an address already resolved, or after resolving) and registers. */
  start(initialAddress?: string): void {
    if (initialAddress !== undefined) this.use(initialAddress);
    else void this.reresolve();
  }

  /** A REGISTER timed out or could not be sent. */
  onUnreachable(reason: string): void {
    this.monitor.markDown(reason);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.monitor.stop();
  }

  private use(address: string): void {
    const current = this.ua.identity.outboundProxy;
    this.ua.identity.outboundProxy = { protocol: this.opts.protocol, address, port: this.opts.port };
    if (!this.started) {
      this.started = true;
      this.registration.start();
      this.monitor.start();
      return;
    }
    if (current?.address !== address) {
      this.opts.log.info('sip.server-moved', { host: this.opts.host, from: current?.address, to: address });
      this.registration.retryNow();
    }
  }

  private async reresolve(): Promise<void> {
    if (this.resolving || this.stopped || isIP(this.opts.host)) {
      if (isIP(this.opts.host) && !this.started) this.use(this.opts.host);
      return;
    }
    this.resolving = true;
    try {
      const address = await this.resolve(this.opts.host);
      if (this.stopped) return;
      if (this.unresolvedLogged) this.opts.log.info('sip.server-resolved', { host: this.opts.host, address });
      this.unresolvedLogged = false;
      this.use(address);
    } catch (e) {
      if (this.stopped) return;
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      // One line when the name stops resolving, not one per attempt.
      if (!this.unresolvedLogged) this.opts.log.warn('sip.server-unresolved', { host: this.opts.host, reason });
      else this.opts.log.debug('sip.server-unresolved', { host: this.opts.host, reason });
      this.unresolvedLogged = true;
    } finally {
      this.resolving = false;
    }
    // Ask again while there is no address yet, or while the server at the
    // current one stays silent (it may have moved after our last look).
    if (!this.stopped && (!this.started || this.monitor.serverDown)) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.reresolve(), this.opts.retryResolveMs ?? 5000);
    }
  }
}
