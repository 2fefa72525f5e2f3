// What happens to bytes that arrive on a SIP port, before the UA core sees a
// message: parse, and for a request that does not parse send the stateless
// 400/505 of RFC 3261 §8.2.6.2; everything else that does not parse is
// dropped. Kept apart from the sockets so the torture suites can drive exactly
// this path in-process.
import { parseMessage, SipParseError, type SipMessage } from './message.ts';
import type { Endpoint } from './transport-port.ts';
import { replyToUnparsable } from './unparsable-reply.ts';
import type { EventLog } from '../log/logger.ts';

export interface InboundSink {
  /** A parsed message for the UA core. */
  deliver(msg: SipMessage, source: Endpoint): void;
  /** Raw bytes to send (the answer to an unparsable request). */
  sendRaw(bytes: Buffer, dest: Endpoint): void;
  log: EventLog;
}

/** Parses one framed message and hands it on, answering what cannot be parsed; never throws. */
export function receiveBytes(bytes: Buffer, source: Endpoint, sink: InboundSink): void {
  let msg: SipMessage;
  try {
    msg = parseMessage(bytes);
  } catch (e) {
    const err = e instanceof SipParseError ? e : new SipParseError(String(e));
    // Debug only: a scanner's garbage must not fill the journal.
    sink.log.debug('sip.unparsable', { from: `${source.address}:${source.port}`, reason: err.message });
    let reply;
    try {
      reply = replyToUnparsable(bytes, err, source);
    } catch {
      reply = undefined;
    }
    if (reply) sink.sendRaw(reply.bytes, reply.dest);
    return;
  }
  try {
    sink.deliver(msg, source);
  } catch (e) {
    // A bug in handling one message must not take the door down.
    sink.log.warn('sip.handler-error', { reason: e instanceof Error ? e.message : String(e) });
  }
}
