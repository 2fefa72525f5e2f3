// What both ends of a dialog do alike, whichever side sent the INVITE:
// repeating a 2xx to INVITE until its ACK (§13.3.1.4), the CSeq order check
// (§12.2.2), and answering the in-dialog requests that need no call state.
import type { AuthHeader, SipRequest, SipResponse } from './message.ts';
import type { Authenticator } from './authenticator.ts';
import type { TimerConfig, ServerTransaction } from './transaction.ts';
import type { Endpoint } from './transport-port.ts';
import { ALLOWED_METHODS, type UserAgent } from './user-agent.ts';

export interface Repeater {
  /** The ACK arrived (or the dialog ended): stop repeating. */
  stop(): void;
}

/**
 * Repeats a 2xx to INVITE, T1 doubling up to T2, on unreliable transports only
 * (the transaction leaves this to the UA, RFC 6026); after 64*T1 without an
 * ACK it stops and calls onGiveUp, on every transport.
 */
export function repeat2xx(ua: UserAgent, ok: SipResponse, dest: Endpoint, t: TimerConfig, onGiveUp?: () => void): Repeater {
  let interval = t.t1;
  let resend = dest.protocol === 'UDP' ? ua.timers.set(interval, again) : undefined;
  const giveUp = ua.timers.set(64 * t.t1, () => {
    ua.timers.clear(resend);
    onGiveUp?.();
  });
  function again(): void {
    ua.transport.send(ok, dest);
    interval = Math.min(interval * 2, t.t2);
    resend = ua.timers.set(interval, again);
  }
  return {
    stop() {
      ua.timers.clear(resend);
      ua.timers.clear(giveUp);
    },
  };
}

/** §12.2.2: a request whose CSeq is not above the last one is answered 500; returns whether it is in order. */
export function checkCseqOrder(ua: UserAgent, req: SipRequest, tx: ServerTransaction, lastSeq: number | undefined): boolean {
  if (lastSeq !== undefined && req.headers.cseq.seq <= lastSeq) {
    tx.respond(ua.makeResponse(req, 500, 'Server Internal Error', { other: { 'retry-after': ['1'] } }));
    return false;
  }
  return true;
}

/**
 * Answers INFO (handing its body on), OPTIONS, and methods we do not support
 * in a dialog (501). Returns false for BYE and INVITE, which the call handles.
 */
export function answerStatelessInDialog(
  ua: UserAgent,
  req: SipRequest,
  tx: ServerTransaction,
  onInfo?: (contentType: string | undefined, body: Buffer) => void,
): boolean {
  const allow = { other: { allow: [ALLOWED_METHODS.join(', ')] } };
  switch (req.method) {
    case 'BYE':
    case 'INVITE':
      return false;
    case 'INFO':
      tx.respond(ua.makeResponse(req, 200, 'OK'));
      onInfo?.(req.headers.contentType, req.body);
      return true;
    case 'OPTIONS':
      tx.respond(ua.makeResponse(req, 200, 'OK', allow));
      return true;
    default:
      tx.respond(ua.makeResponse(req, 501, 'Not Implemented', allow));
      return true;
  }
}

/** Credentials answering a challenge, and whether a proxy (407) or the UAS (401) asked. */
export interface Credentials {
  header: AuthHeader;
  proxy: boolean;
}

/** Puts credentials in the header the challenge asked for (RFC 3261 §22.2, §22.3). */
export function attachCredentials(req: SipRequest, cred: Credentials): void {
  if (cred.proxy) req.headers.proxyAuthorization = [cred.header];
  else req.headers.authorization = [cred.header];
}

/**
 * Sends the BYE that `build` makes (a fresh CSeq each time), answering one
 * digest challenge; `done` runs once the BYE is over, however it ended, so the
 * dialog can be forgotten.
 */
export function sendBye(ua: UserAgent, build: () => SipRequest, auth: Authenticator | undefined, done: () => void, cred?: Credentials): void {
  const bye = build();
  if (cred) attachCredentials(bye, cred);
  ua.sendRequest(bye, (o) => {
    if (o.kind === 'response' && o.response.status < 200) return;
    if (o.kind === 'response' && (o.response.status === 401 || o.response.status === 407) && !cred && auth) {
      const a = auth.answer(o.response, 'BYE', bye.uri);
      if (a.ok) return sendBye(ua, build, auth, done, { header: a.header, proxy: a.proxy });
    }
    done();
  });
}
