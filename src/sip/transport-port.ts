// What the SIP core needs from the network, and nothing more. The sockets live
// in src/net; the core only names destinations and hands over messages.
import type { SipMessage } from './message.ts';

export type Protocol = 'UDP' | 'TCP' | 'TLS';

export interface Endpoint {
  protocol: Protocol;
  address: string;
  port: number;
}

export interface SipTransportPort {
  /** The address and port this UA is reachable at for a protocol (for Via and Contact). */
  local(protocol: Protocol): { address: string; port: number };
  /** Sends a message; onError reports a transport failure (RFC 3261 §8.1.3.1 treats it as 503). */
  send(message: SipMessage, dest: Endpoint, onError?: (reason: string) => void): void;
}

/** Reliable transports need no retransmissions (RFC 3261 §17.1.1.2). */
export function isReliable(p: Protocol): boolean {
  return p !== 'UDP';
}

export function formatEndpoint(e: Endpoint): string {
  return `${e.protocol.toLowerCase()}:${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`;
}
