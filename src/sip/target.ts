// Turning a SIP URI into a transport destination (RFC 3263, reduced to what a
// door station needs: numeric hosts; names are resolved at the edge before the
// core sees them).
import { isIP } from 'node:net';
import { parseSipUri } from './message.ts';
import type { Endpoint, Protocol } from './transport-port.ts';

/** The endpoint a URI points at, when its host is an IP literal; undefined otherwise. */
export function resolveTarget(uri: string, fallback: Protocol): Endpoint | undefined {
  const u = parseSipUri(uri);
  if (!u) return undefined;
  const host = u.host.startsWith('[') ? u.host.slice(1, -1) : u.host;
  if (!isIP(host)) return undefined;
  const tp = typeof u.params.transport === 'string' ? u.params.transport.toUpperCase() : undefined;
  const protocol: Protocol = u.scheme === 'sips' ? 'TLS' : tp === 'TCP' || tp === 'TLS' || tp === 'UDP' ? tp : fallback;
  return { protocol, address: host, port: u.port ?? (protocol === 'TLS' ? 5061 : 5060) };
}
