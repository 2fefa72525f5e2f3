// Keeps the station pointed at its registrar for years: resolves sip.server
// through the system resolver (so /etc/hosts is honoured), starts even when
// the name does not resolve yet and keeps trying, resolves again whenever the
// server stops answering (its address may have changed: a router handing out
// a new lease), and renews the registration the moment the server answers
// again (ServerMonitor) instead of waiting out the back-off.
import { lookup, resolveSrv } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Registration } from '../sip/registration.ts';
import { ServerMonitor, SERVER_MONITOR_DEFAULTS } from '../sip/server-monitor.ts';
import type { Protocol } from '../sip/transport-port.ts';
import type { UaLog, UserAgent } from '../sip/user-agent.ts';

export interface ServerLinkOptions {
  host: string;
  /** The port to use when DNS does not name one (SRV). */
  port: number;
  protocol: Protocol;
  /** Look for SRV records first (no port was configured, RFC 3263 §4.2). */
  srv?: boolean;
  log: UaLog;
  /** Name to address and port; default: resolveServer. */
  resolve?: (host: string) => Promise<{ address: string; port?: number }>;
  /** The server's address became known or changed (before anything is sent there). */
  onAddress?: (server: { address: string; port: number }) => Promise<void>;
  /** Between resolution attempts while the name does not resolve (ms). */
  retryResolveMs?: number;
  monitor?: { intervalMs: number; probeMs: number };
}

/** Resolves a host name the way the system does (A/AAAA and /etc/hosts). */
export async function systemResolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

const SRV_PREFIX: Record<Protocol, string> = { UDP: '_sip._udp.', TCP: '_sip._tcp.', TLS: '_sips._tcp.' };

/**
 * RFC 3263 §4.2 without NAPTR: the SRV records of the transport, the lowest
 * priority first and the heaviest weight within it (RFC 2782), each target
 * resolved as a host name; no usable SRV record means the name itself.
 */
export async function resolveServer(host: string, protocol: Protocol, srv: boolean): Promise<{ address: string; port?: number }> {
  if (srv && !isIP(host)) {
    const records = await resolveSrv(SRV_PREFIX[protocol] + host).catch(() => []);
    records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    for (const r of records) {
      const address = await systemResolve(r.name).catch(() => undefined);
      if (address !== undefined) return { address, port: r.port };
    }
  }
  return { address: await systemResolve(host) };
}

export class ServerLink {
  readonly monitor: ServerMonitor;
  private readonly resolve: (host: string) => Promise<{ address: string; port?: number }>;
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
    this.resolve = opts.resolve ?? ((host) => resolveServer(host, opts.protocol, opts.srv === true));
    this.monitor = new ServerMonitor(ua, {
      ...(opts.monitor ?? SERVER_MONITOR_DEFAULTS),
      log: opts.log,
      // Back after an outage: the local address may have changed with it (a
      // new DHCP lease after the router rebooted), so look again before registering.
      onBack: () => {
        const server = ua.identity.outboundProxy;
        void (server && opts.onAddress ? opts.onAddress(server) : Promise.resolve()).then(() => registration.retryNow());
      },
      onLost: () => void this.reresolve(),
    });
  }

  /** The registrar's current address, once the name has resolved. */
  get address(): string | undefined {
    return this.ua.identity.outboundProxy?.address;
  }

  /** Points the UA at the server (given a target already resolved, or after resolving) and registers. */
  start(initial?: { address: string; port?: number }): void {
    if (initial?.port !== undefined) this.opts.log.info('sip.server-resolved', { host: this.opts.host, address: initial.address, port: initial.port });
    if (initial !== undefined) void this.use(initial);
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

  private async use(target: { address: string; port?: number }): Promise<void> {
    const current = this.ua.identity.outboundProxy;
    const { address } = target;
    const port = target.port ?? this.opts.port;
    const changed = current?.address !== address || current.port !== port;
    // Our own advertised address may depend on the route toward the server.
    if (changed) await this.opts.onAddress?.({ address, port });
    if (this.stopped) return;
    this.ua.identity.outboundProxy = { protocol: this.opts.protocol, address, port };
    if (!this.started) {
      this.started = true;
      this.registration.start();
      this.monitor.start();
      return;
    }
    if (changed) {
      this.opts.log.info('sip.server-moved', { host: this.opts.host, from: current?.address, to: address, port });
      this.registration.retryNow();
    }
  }

  private async reresolve(): Promise<void> {
    if (this.resolving || this.stopped || isIP(this.opts.host)) {
      if (isIP(this.opts.host) && !this.started) await this.use({ address: this.opts.host });
      return;
    }
    this.resolving = true;
    try {
      const target = await this.resolve(this.opts.host);
      if (this.stopped) return;
      if (this.unresolvedLogged || target.port !== undefined) this.opts.log.info('sip.server-resolved', { host: this.opts.host, address: target.address, port: target.port ?? this.opts.port });
      this.unresolvedLogged = false;
      await this.use(target);
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
