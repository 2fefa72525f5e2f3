// Call targets as written in the config ("101", "+4930123", "sip:101@pbx")
// turned into Request-URIs in the door's domain.
import { resolveTarget } from '../sip/target.ts';
import type { Endpoint, Protocol } from '../sip/transport-port.ts';

/** A config target as a SIP URI: user parts get the SIP domain. */
export function targetUri(target: string, domain: string): string {
  if (/^sips?:/i.test(target)) return target;
  return `sip:${target}@${domain}`;
}

/** Whether a transfer target (a Refer-To URI) lies in the door's SIP domain or at its registrar. */
export function transferAllowed(uri: string, domain: string, registrar: string | undefined): boolean {
  const m = /^sips?:(?:[^@;?]+@)?([^:;?>]+)/i.exec(uri);
  const host = m?.[1]?.toLowerCase();
  return host !== undefined && (host === domain.toLowerCase() || host === registrar);
}

/**
 * How a call to `uri` leaves while the registrar does not answer: straight to
 * the party when the URI names it by IP address (not the registrar's), so a
 * fallback such as sip:hall@192.168.1.20:5060 still rings during an outage;
 * undefined when the URI needs the registrar to be found.
 */
export function reachableWithoutRegistrar(uri: string, registrar: string | undefined, protocol: Protocol): Endpoint | undefined {
  const dest = resolveTarget(uri, protocol);
  return dest && dest.address !== registrar ? dest : undefined;
}
