// The TLS listener for connections the registrar opens to the door (RFC 3261
// §18.2: a server reaches a TLS Contact over a new connection when the old
// one is gone). Anyone can knock: scanners send garbage or plain-text SIP to
// port 5061. A failed handshake is dropped, with one log line for the first
// failure from each address and silence afterwards.
import tls from 'node:tls';
import type { EventLog } from '../log/logger.ts';
import type { TlsIdentity } from './tls-identity.ts';

/** A client that has not finished its handshake by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Remembers which sources already cost a log line; bounded, oldest forgotten first. */
export class OncePerSource {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 1024) {}

  /** True the first time `source` is seen. */
  first(source: string): boolean {
    if (this.seen.has(source)) return false;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(source);
    return true;
  }
}

export interface TlsListenerOptions {
  host: string | undefined;
  port: number;
  identity: TlsIdentity;
  log: EventLog;
  onConnection(sock: tls.TLSSocket): void;
}

/** Listens; rejects with the system error when the port cannot be bound. */
export function openTlsListener(opts: TlsListenerOptions): Promise<tls.Server> {
  const failures = new OncePerSource();
  const server = tls.createServer(
    { cert: opts.identity.cert, key: opts.identity.key, minVersion: 'TLSv1.2', handshakeTimeout: HANDSHAKE_TIMEOUT_MS },
    (sock) => opts.onConnection(sock),
  );
  server.on('tlsClientError', (err, sock) => {
    sock.destroy();
    const from = sock.remoteAddress ?? '';
    // OpenSSL's `reason` ("wrong version number") says it; its full message is a source location.
    const reason = (err as Error & { reason?: string }).reason ?? err.message.split('\n')[0];
    if (failures.first(from)) opts.log.info('sip.tls-handshake-failed', { from, reason });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, exclusive: true }, () => {
      server.removeAllListeners('error');
      // A listening socket has no errors worth a crash once it is bound.
      server.on('error', (err) => opts.log.warn('sip.tls-listener-error', { reason: err.message }));
      resolve(server);
    });
  });
}
