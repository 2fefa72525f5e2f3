// The station's SIP side: the transport (UDP/TCP/TLS, optionally a TLS
// listener), the user agent on it, the registration and the link that keeps
// the registrar's address current. Opened once at start, before any device.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import { openSipTransport, type SipTransport } from '../net/sip-transport.ts';
import { loadTlsIdentity, type TlsIdentity } from '../net/tls-identity.ts';
import { realTimers } from '../sip/clock.ts';
import { DigestClient } from '../sip/digest.ts';
import { Registration } from '../sip/registration.ts';
import type { Protocol } from '../sip/transport-port.ts';
import { UserAgent } from '../sip/user-agent.ts';
import { resolveServer, ServerLink } from './server-link.ts';
import { StationStartError } from './station-error.ts';

/** RFC 3261 §19.1.2: the default port for SIP over TLS. */
const DEFAULT_TLS_PORT = 5061;

export interface SipSide {
  protocol: Protocol;
  transport: SipTransport;
  /** Where the transport listens for `protocol`; calls' media binds to the same address. */
  local: { address: string; port: number };
  ua: UserAgent;
  auth: DigestClient;
  registration: Registration;
  serverLink: ServerLink;
  /** The server as first resolved, if it did; `serverLink.start` takes it. */
  initialServer: { address: string; port?: number } | undefined;
}

function readTlsCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new StationStartError(`sip.tls_ca: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function tlsIdentity(certFile: string, keyFile: string): TlsIdentity {
  try {
    return loadTlsIdentity(certFile, keyFile);
  } catch (e) {
    throw new StationStartError((e as Error).message);
  }
}

/** Opens the transport and builds the user agent, registration and server link on it; nothing is sent until `serverLink.start`. */
export async function openSipSide(sipCfg: Config['sip'], log: Logger): Promise<SipSide> {
  const protocol: Protocol = sipCfg.transport === 'tcp' ? 'TCP' : sipCfg.transport === 'tls' ? 'TLS' : 'UDP';
  const tlsCa = protocol === 'TLS' && sipCfg.tls_ca !== undefined ? readTlsCa(sipCfg.tls_ca) : undefined;
  const tlsListen = protocol === 'TLS' && sipCfg.tls_cert !== undefined && sipCfg.tls_key !== undefined
    ? { port: sipCfg.tls_port ?? DEFAULT_TLS_PORT, identity: tlsIdentity(sipCfg.tls_cert, sipCfg.tls_key) }
    : undefined;
  // A name that does not resolve yet (DNS not up after a power cut) is no
  // reason to stay down: the server link keeps trying and registers once it does.
  const initialServer = await resolveServer(sipCfg.server.host, protocol, sipCfg.server.srv === true).catch(() => undefined);
  const serverAddress = initialServer?.address;
  const serverPort = initialServer?.port ?? sipCfg.server.port;
  const timers = realTimers();

  let ua: UserAgent | undefined;
  const transport: SipTransport = await openSipTransport({
    ...(sipCfg.listen?.host !== undefined ? { host: sipCfg.listen.host } : {}),
    ...(sipCfg.listen?.port !== undefined ? { port: sipCfg.listen.port } : {}),
    ...(serverAddress !== undefined ? { server: { address: serverAddress, port: serverPort } } : {}),
    // The registrar is exempt from the per-source rate limit, wherever it moves.
    isTrusted: (source) => source.address === ua?.identity.outboundProxy?.address,
    tcp: protocol === 'TCP',
    // RFC 5626 §4.4.1: a CRLF ping on our TCP/TLS flow every 30 s; no pong in 10 s and the flow is dead.
    keepAlive: { intervalMs: 30_000, pongTimeoutMs: 10_000 },
    ...(protocol === 'TLS' ? { tls: { ...(tlsCa ? { ca: tlsCa } : {}), verifyName: sipCfg.server.host } } : {}),
    ...(tlsListen ? { tlsListen } : {}),
    log,
    onMessage: (msg, source) => ua?.receive(msg, source),
    onConnectionClosed: (remote) => {
      const server = ua?.identity.outboundProxy;
      if (server && remote.address === server.address && remote.port === server.port) serverLink.onUnreachable('connection to the server closed');
    },
  }).catch((e: Error) => {
    throw new StationStartError(e.message);
  });
  const local = transport.local(protocol);
  log.info('sip.listening', { address: local.address, port: local.port, transport: protocol.toLowerCase(), ...(tlsListen ? { accepts: 'tls' } : {}) });

  ua = new UserAgent(
    {
      user: sipCfg.user,
      domain: sipCfg.domain,
      displayName: sipCfg.display_name,
      protocol,
      ...(serverAddress !== undefined ? { outboundProxy: { protocol, address: serverAddress, port: serverPort } } : {}),
      ...(sipCfg.user_agent ? { userAgent: sipCfg.user_agent } : {}),
    },
    transport,
    timers,
    log,
  );
  const sipUa = ua;
  const auth = new DigestClient({ username: sipCfg.auth_user, password: sipCfg.password });
  const registration = new Registration(sipUa, { expires: sipCfg.expires, auth, log, onUnreachable: (r) => serverLink.onUnreachable(r) });
  const serverLink = new ServerLink(sipUa, registration, {
    host: sipCfg.server.host,
    port: sipCfg.server.port,
    protocol,
    srv: sipCfg.server.srv === true,
    log,
    onAddress: (server) => transport.towards(server),
  });
  return { protocol, transport, local, ua: sipUa, auth, registration, serverLink, initialServer };
}
