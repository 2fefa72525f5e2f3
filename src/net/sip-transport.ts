// The one owner of the SIP sockets: a UDP socket and a TCP listener on the
// same local port, plus TCP connections (outgoing and accepted) reused by
// remote address. Messages are parsed here and handed to the SIP core.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { serializeMessage, type SipMessage } from '../sip/message.ts';
import type { Endpoint, Protocol, SipTransportPort } from '../sip/transport-port.ts';
import { StreamFramer } from './stream-framer.ts';
import { receiveBytes, type InboundSink } from '../sip/inbound.ts';
import { SIP_SOURCE_LIMIT, SourceLimit, type SourceLimitOptions } from './source-limit.ts';
import type { EventLog } from '../log/logger.ts';
import type { TlsIdentity } from './tls-identity.ts';
import { openTlsListener } from './tls-listener.ts';

export type TransportLog = EventLog;

export interface SipTransportOptions {
  /** Local address to bind; undefined binds all addresses. */
  host?: string;
  /** Local port; 0 or undefined lets the system choose. */
  port?: number;
  /** Where requests usually go: used to find the local address to advertise when bound to all. */
  server?: { address: string; port: number };
  tcp: boolean;
  log: TransportLog;
  /** Per-source rate limit for everyone but trusted peers; false turns it off. Default SIP_SOURCE_LIMIT. */
  limit?: SourceLimitOptions | false;
  /** Peers exempt from the limit (the registrar); default: the address in `server`. */
  isTrusted?: (source: Endpoint) => boolean;
  onMessage(msg: SipMessage, source: Endpoint): void;
  /**
   * SIP over TLS (RFC 3261 §26.3.1): outgoing connections only, the server's
   * certificate always verified against `ca` (a pinned CA or the server's own
   * certificate) or else the system's CAs, and matched to `verifyName`, the
   * server's name or address as configured.
   */
  tls?: { ca?: Buffer; verifyName: string };
  /**
   * Also accept TLS connections on this port of `host`, with this certificate
   * (RFC 3261 §18.2): the registrar may open a new connection to the door's
   * Contact. Contact and Via then name this port (§18.1.1, §18.2.2).
   */
  tlsListen?: { port: number; identity: TlsIdentity };
  /** CRLF keep-alives on the stream connections this side opens (RFC 5626 §4.4.1). */
  keepAlive?: { intervalMs: number; pongTimeoutMs: number };
  /** A TCP connection closed (RFC 5626 §4.4: a dead flow to the registrar means registering again). */
  onConnectionClosed?(remote: Endpoint): void;
}

export interface SipTransport extends SipTransportPort {
  /**
   * The server's address became known or changed: when bound to all
   * addresses, advertise the local address on the route toward it.
   */
  towards(server: { address: string; port: number }): Promise<void>;
  close(): Promise<void>;
}

/** Thrown when a socket cannot be opened; the message is one line for the user. */
export class TransportError extends Error {}

function describeBindError(err: NodeJS.ErrnoException, where: string, key = 'sip.listen'): string {
  if (err.code === 'EADDRINUSE') return `${key} ${where}: address already in use (another SIP program running?)`;
  if (err.code === 'EADDRNOTAVAIL') return `${key} ${where}: no such local address`;
  if (err.code === 'EACCES') return `${key} ${where}: permission denied (ports below 1024 need privileges)`;
  return `${key} ${where}: ${err.message}`;
}

// The address the kernel would use to reach the server: a connected UDP socket
// sends nothing, but tells us the route's source address.
async function localAddressToward(server: { address: string; port: number }): Promise<string> {
  const s = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(server.port, server.address, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

function bindUdp(host: string | undefined, port: number, onMessage: (b: Buffer, r: dgram.RemoteInfo) => void): Promise<dgram.Socket> {
  const sock = dgram.createSocket(host && net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind({ port, address: host, exclusive: true }, () => {
      sock.removeAllListeners('error');
      sock.on('message', onMessage);
      resolve(sock);
    });
  });
}

function listenTcp(host: string | undefined, port: number, onConn: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConn);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}

/** Opens the SIP sockets; rejects with a TransportError naming sip.listen when it cannot. */
export async function openSipTransport(opts: SipTransportOptions): Promise<SipTransport> {
  const log = opts.log;
  const where = `${opts.host ?? '*'}:${opts.port ?? 0}`;
  const connections = new Map<string, Connection>();
  let closed = false;

  const limiter = opts.limit === false ? undefined : new SourceLimit(opts.limit ?? SIP_SOURCE_LIMIT);
  const isTrusted = opts.isTrusted ?? ((s: Endpoint) => s.address === opts.server?.address);

  const deliver = (bytes: Buffer, source: Endpoint) => {
    if (closed) return;
    if (limiter && !isTrusted(source)) {
      const v = limiter.take(source.address);
      if (!v.allowed) {
        // One line a minute per flooding source, never one per packet.
        if (v.report) log.info('sip.rate-limited', { from: source.address, dropped: v.dropped });
        return;
      }
    }
    receiveBytes(bytes, source, inbound);
  };

  // The stateless 400/505 to an unparsable request goes back the way it came.
  const inbound: InboundSink = {
    log,
    deliver: (msg, source) => opts.onMessage(msg, source),
    sendRaw(bytes, dest) {
      if (dest.protocol === 'UDP') udp.send(bytes, dest.port, dest.address, () => {});
      else connections.get(`${dest.address}|${dest.port}`)?.write(bytes);
    },
  };

  let udp: dgram.Socket;
  let tcp: net.Server | undefined;
  try {
    udp = await bindUdp(opts.host, opts.port ?? 0, (b, r) => {
      // A bare CRLF keep-alive on UDP needs no answer (RFC 5626 §4.4.2 uses STUN there).
      if (b.length <= 4 && b.toString('latin1').trim() === '') return;
      deliver(b, { protocol: 'UDP', address: r.address, port: r.port });
    });
  } catch (e) {
    throw new TransportError(describeBindError(e as NodeJS.ErrnoException, where));
  }
  const port = udp.address().port;
  if (opts.tcp) {
    try {
      tcp = await listenTcp(opts.host, port, (s) => adopt(s));
    } catch (e) {
      udp.close();
      throw new TransportError(describeBindError(e as NodeJS.ErrnoException, `${opts.host ?? '*'}:${port} (tcp)`));
    }
  }
  let tlsServer: tls.Server | undefined;
  if (opts.tlsListen) {
    const { port: tlsPort, identity } = opts.tlsListen;
    try {
      tlsServer = await openTlsListener({ host: opts.host, port: tlsPort, identity, log, onConnection: (s) => adopt(s, 'TLS') });
    } catch (e) {
      udp.close();
      tcp?.close();
      throw new TransportError(describeBindError(e as NodeJS.ErrnoException, `${opts.host ?? '*'}:${tlsPort}`, 'sip.tls_port'));
    }
  }
  const boundToAll = !(opts.host && opts.host !== '0.0.0.0' && opts.host !== '::');
  let advertised = boundToAll ? undefined : opts.host;
  if (!advertised) advertised = opts.server ? await localAddressToward(opts.server).catch(() => '127.0.0.1') : '127.0.0.1';

  class Connection {
    readonly framer = new StreamFramer();
    readonly pending: Array<{ bytes: Buffer; onError?: (r: string) => void }> = [];
    connected: boolean;
    constructor(
      readonly sock: net.Socket,
      readonly remote: Endpoint,
      connected: boolean,
    ) {
      this.connected = connected;
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 30_000);
      sock.on('data', (chunk: Buffer) => {
        for (const ev of this.framer.push(chunk)) {
          if (ev.kind === 'ping') sock.write('\r\n');
          else if (ev.kind === 'pong') {
            // Not waiting for a pong, and the previous chunk ended in a lone
            // CRLF: that was half a ping the network split; answer it.
            if (ev.afterLone && this.pongAt >= this.pingAt) sock.write('\r\n');
            else this.pongAt = Date.now();
          }
          else if (ev.kind === 'message') deliver(ev.bytes, this.remote);
          else {
            log.debug('sip.stream-error', { from: `${remote.address}:${remote.port}`, reason: ev.reason });
            sock.destroy();
          }
        }
      });
      sock.on('error', (err) => {
        // A refused certificate must read as such in status and logs.
        const reason = remote.protocol === 'TLS' ? `TLS: ${err.message}` : err.message;
        for (const p of this.pending.splice(0)) p.onError?.(reason);
      });
      sock.on('close', () => {
        clearInterval(this.pinger);
        if (connections.get(key(remote)) === this) connections.delete(key(remote));
        if (!closed) opts.onConnectionClosed?.(remote);
        for (const p of this.pending.splice(0)) p.onError?.('connection closed');
      });
    }
    write(bytes: Buffer, onError?: (r: string) => void): void {
      if (!this.connected) {
        this.pending.push(onError ? { bytes, onError } : { bytes });
        return;
      }
      this.sock.write(bytes, (err) => {
        if (err) onError?.(err.message);
      });
    }
    flush(): void {
      this.connected = true;
      for (const p of this.pending.splice(0)) this.write(p.bytes, p.onError);
      this.startKeepAlive();
    }
    pongAt = 0;
    pingAt = 0;
    pinger?: NodeJS.Timeout;
    // RFC 5626 §4.4.1 on flows we opened: a double-CRLF ping every interval;
    // no pong within the timeout means the flow is dead (a NAT or the server
    // forgot it), so it is closed and its owner told, instead of waiting for
    // the next request to vanish into it.
    startKeepAlive(): void {
      const ka = opts.keepAlive;
      if (!ka || this.pinger) return;
      this.pinger = setInterval(() => {
        const sentAt = (this.pingAt = Date.now());
        this.sock.write('\r\n\r\n');
        setTimeout(() => {
          if (this.pongAt < sentAt && !this.sock.destroyed) {
            log.info('sip.flow-dead', { remote: `${this.remote.address}:${this.remote.port}`, reason: `no pong within ${ka.pongTimeoutMs} ms` });
            this.sock.destroy();
          }
        }, ka.pongTimeoutMs).unref();
      }, ka.intervalMs);
      this.pinger.unref();
    }
  }

  const key = (e: { address: string; port: number }) => `${e.address}|${e.port}`;

  function adopt(sock: net.Socket, protocol: 'TCP' | 'TLS' = 'TCP'): void {
    if (closed) {
      sock.destroy();
      return;
    }
    const remote: Endpoint = { protocol, address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    if (protocol === 'TLS') log.debug('sip.tls-accepted', { from: `${remote.address}:${remote.port}` });
    connections.set(key(remote), new Connection(sock, remote, true));
  }

  function tcpConnection(dest: Endpoint): Connection {
    const existing = connections.get(key(dest));
    if (existing && !existing.sock.destroyed) return existing;
    const local = advertised && opts.host ? { localAddress: opts.host } : {};
    let sock: net.Socket;
    if (dest.protocol === 'TLS') {
      const t = opts.tls!;
      sock = tls.connect({
        host: dest.address,
        port: dest.port,
        ...local,
        ...(t.ca ? { ca: t.ca } : {}),
        ...(net.isIP(t.verifyName) ? {} : { servername: t.verifyName }),
        // We connect to the resolved address; the certificate must name what the user configured.
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.verifyName, cert),
        minVersion: 'TLSv1.2',
      });
    } else {
      sock = net.connect({ host: dest.address, port: dest.port, ...local });
    }
    const c = new Connection(sock, { protocol: dest.protocol, address: dest.address, port: dest.port }, false);
    sock.once(dest.protocol === 'TLS' ? 'secureConnect' : 'connect', () => c.flush());
    connections.set(key(dest), c);
    return c;
  }

  const tlsPort = tlsServer ? (tlsServer.address() as net.AddressInfo).port : undefined;
  // With a TLS listener, TLS Contacts and Vias name it: where a new connection must go.
  const localFor = (p: Protocol) => ({ address: advertised!, port: p === 'TLS' && tlsPort !== undefined ? tlsPort : port });


  return {
    local: localFor,
    send(message, dest, onError) {
      if (closed) {
        onError?.('transport closed');
        return;
      }
      const bytes = serializeMessage(message);
      if (dest.protocol === 'UDP') {
        udp.send(bytes, dest.port, dest.address, (err) => {
          if (err) onError?.(err.message);
        });
      } else if (dest.protocol === 'TCP' || (dest.protocol === 'TLS' && (opts.tls || connections.get(key(dest))?.sock.destroyed === false))) {
        tcpConnection(dest).write(bytes, onError);
      } else {
        onError?.(`${dest.protocol} is not supported yet`);
      }
    },
    async towards(server) {
      if (boundToAll) advertised = await localAddressToward(server).catch(() => advertised);
    },
    async close() {
      closed = true;
      for (const c of connections.values()) c.sock.destroy();
      connections.clear();
      await new Promise<void>((r) => udp.close(() => r()));
      if (tcp) await new Promise<void>((r) => tcp!.close(() => r()));
      if (tlsServer) await new Promise<void>((r) => tlsServer!.close(() => r()));
    },
  };
}
