// A SIP core with no sockets: a transport that records what would be sent,
// and a manual clock. Tests feed responses and requests as the network would.
import { ManualTimers } from '../../src/sip/clock.ts';
import { parseMessage, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from '../../src/sip/message.ts';
import type { Endpoint, SipTransportPort } from '../../src/sip/transport-port.ts';
import { UserAgent, type UaIdentity } from '../../src/sip/user-agent.ts';

export interface Sent {
  msg: SipMessage;
  dest: Endpoint;
}

export const SERVER: Endpoint = { protocol: 'UDP', address: '127.0.0.1', port: 5060 };

export const quietLog = { debug() {}, info() {}, warn() {} };

export function makeUa(identity: Partial<UaIdentity> = {}) {
  const sent: Sent[] = [];
  const timers = new ManualTimers();
  const transport: SipTransportPort = {
    local: () => ({ address: '127.0.0.2', port: 5070 }),
    // Round-trip through the codec so tests see exactly what the wire would carry.
    send: (msg, dest) => sent.push({ msg: parseMessage(serializeMessage(msg)), dest }),
  };
  const ua = new UserAgent(
    { user: 'door', domain: '127.0.0.1', protocol: 'UDP', outboundProxy: SERVER, ...identity },
    transport,
    timers,
    quietLog,
  );
  return { ua, sent, timers };
}

export function requests(sent: Sent[], method?: string): SipRequest[] {
  return sent.map((s) => s.msg).filter((m): m is SipRequest => m.kind === 'request' && (!method || m.method === method));
}

export function responses(sent: Sent[]): SipResponse[] {
  return sent.map((s) => s.msg).filter((m): m is SipResponse => m.kind === 'response');
}

/** A response to one of our requests, as the server would send it. */
export function reply(
  req: SipRequest,
  status: number,
  reason: string,
  opts: { toTag?: string; headers?: Partial<SipResponse['headers']>; body?: Buffer } = {},
): SipResponse {
  const to = { ...req.headers.to, params: { ...req.headers.to.params } };
  if (opts.toTag && to.params.tag === undefined) to.params.tag = opts.toTag;
  const res: SipResponse = {
    kind: 'response',
    status,
    reason,
    headers: { via: req.headers.via, from: req.headers.from, to, callId: req.headers.callId, cseq: req.headers.cseq, other: {}, ...opts.headers },
    body: opts.body ?? Buffer.alloc(0),
  };
  return parseMessage(serializeMessage(res)) as SipResponse;
}
