// The stateless answer to a request that could not be parsed. RFC 3261 §8.2.6.2
// asks a UAS to answer 400 where it can; RFC 4475 §3.1.2 expects a 400 (or 505
// for an unknown SIP version) for each malformed request it lists. Responses
// and ACKs are never answered, and neither is anything without a Via.
import { formatReplyToUnparsable, salvageReplyHeaders, type SipParseError } from './message.ts';
import { newTag } from './ids.ts';
import type { Endpoint } from './transport-port.ts';

const REASONS: Record<number, string> = { 400: 'Bad Request', 505: 'Version Not Supported' };

/** Bytes to send and where, or undefined when the message must be dropped silently. */
export interface UnparsableReply {
  bytes: Buffer;
  dest: Endpoint;
}

/** Builds the 400/505 for bytes parseMessage rejected with `err`, received from `source`. */
export function replyToUnparsable(bytes: Buffer, err: SipParseError, source: Endpoint): UnparsableReply | undefined {
  const h = salvageReplyHeaders(bytes);
  if (!h) return undefined;
  const status = REASONS[err.status] ? err.status : 400;
  // The reason phrase stays generic: the parser's detail goes to our debug log only.
  const out = formatReplyToUnparsable(h, status, REASONS[status]!, newTag());
  if (!out) return undefined;
  return { bytes: out, dest: replyDestination(source, h.topVia?.port, h.topVia?.params) };
}

// RFC 3261 §18.2.2 with RFC 3581: the reply always goes to the address the
// bytes came from (as if `received` were set), never to a host named inside
// them, so a forged Via cannot turn the door into a reflector toward a third
// party. Streams answer on the same connection.
function replyDestination(source: Endpoint, viaPort: number | undefined, params: Record<string, string | null> | undefined): Endpoint {
  if (source.protocol !== 'UDP') return source;
  if (params && 'rport' in params) return source;
  return { protocol: 'UDP', address: source.address, port: viaPort ?? 5060 };
}
