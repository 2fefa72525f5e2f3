// One incoming call, the UAS side (RFC 3261 §13.3): 180 Ringing with the To
// tag that names our half of the dialog (§12.1.1), the 2xx with our answer
// repeated until its ACK arrives (§13.3.1.4), rejection, CANCEL before the
// answer (§9.2), BYE in both directions (§15), and the in-dialog requests a
// caller may send (re-INVITE, INFO, OPTIONS). Like call.ts it knows nothing
// of media: it carries SDP bodies and reports events.
import type { NameAddr, SipRequest, SipResponse } from './message.ts';
import { newTag } from './ids.ts';
import { DEFAULT_TIMERS, type ServerTransaction, type TimerConfig } from './transaction.ts';
import type { Authenticator } from './authenticator.ts';
import { DialogLifetime, type EndCause } from './dialog-lifetime.ts';
import { answerStatelessInDialog, checkCseqOrder, repeat2xx, sendBye, type Repeater } from './dialog-support.ts';
import { answerRefer, type ReferSubscription } from './refer.ts';
import { formatSessionExpires, parseSessionExpires, SessionTimer } from './session-timer.ts';
import { ALLOWED_METHODS, type DialogOwner, type UaLog, type UserAgent } from './user-agent.ts';

/** ringing: 180 sent; accepted: 2xx sent, no ACK yet; active: ACKed; ended: over (a BYE may still be in flight). */
export type IncomingPhase = 'ringing' | 'accepted' | 'active' | 'ended';

/** What an incoming call reports to the application. */
export interface IncomingCallEvents {
  /** The ACK for our 2xx arrived: the dialog is confirmed. sdp is the ACK's body, when the INVITE had no offer. */
  onAcked?(sdp?: Buffer): void;
  /** The call is over, once, whatever the path. */
  onEnded(cause: EndCause): void;
  /** The caller sent a new offer (re-INVITE); return our answer, or undefined to refuse with 488. */
  onReoffer?(sdp: Buffer): Buffer | undefined;
  /** An INFO request in the dialog (e.g. application/dtmf-relay). */
  onInfo?(contentType: string | undefined, body: Buffer): void;
  /** A REFER in the dialog (RFC 3515): return true to take the transfer (202), false to decline (603). Without it: 501. */
  onRefer?(target: string): boolean;
}

/** How an incoming call is run. */
export interface IncomingCallOptions {
  log: UaLog;
  events: IncomingCallEvents;
  /** Answers a 401/407 to our BYE (a proxy on the route may challenge it); without it the BYE just ends. */
  auth?: Authenticator;
  /** T1 and T2 for repeating our 2xx; the RFC's defaults unless the UA runs others. */
  timers?: TimerConfig;
}

/** The UAS side of one call: created from an INVITE outside any dialog and its server transaction. */
export class IncomingCall implements DialogOwner {
  readonly callId: string;
  private readonly localTag = newTag();
  private readonly remoteTag: string;
  private readonly timerConfig: TimerConfig;
  private phase: IncomingPhase = 'ringing';
  // Dialog state (§12.1.1): our side is the INVITE's To, theirs its From.
  private readonly localParty: NameAddr;
  private readonly remoteParty: NameAddr;
  private remoteTarget: string;
  private readonly routeSet: NameAddr[];
  private remoteCseq: number;
  private localCseq = 0;
  private localSdp?: Buffer;
  private acked = false;
  private byeWanted = false;
  /** Repeats our 200 OK until the ACK (§13.3.1.4). */
  private okRepeat?: Repeater;
  private reinviteOk?: Repeater;
  private readonly lifetime: DialogLifetime;
  /** The transfer the caller asked for, whose progress it is told (RFC 3515 §2.4.4). */
  private refer?: ReferSubscription;
  /** Session timer (RFC 4028) the caller asked for; the caller refreshes, we watch. */
  private sessionTimer?: SessionTimer;

  constructor(
    private readonly ua: UserAgent,
    /** The INVITE that created the call. */
    readonly invite: SipRequest,
    private readonly tx: ServerTransaction,
    private readonly opts: IncomingCallOptions,
  ) {
    const h = invite.headers;
    this.callId = h.callId;
    this.timerConfig = opts.timers ?? DEFAULT_TIMERS;
    // An RFC 2543 caller may send no From tag; the dialog then has an empty remote tag.
    this.remoteTag = String(h.from.params.tag ?? '');
    this.localParty = { ...h.to, params: { ...h.to.params, tag: this.localTag } };
    this.remoteParty = { ...h.from, params: { ...h.from.params } };
    // §12.1.1: remote target = the INVITE's Contact; route set = its Record-Route, in order.
    const contact = h.contact === '*' ? undefined : h.contact?.[0]?.uri;
    this.remoteTarget = contact ?? h.from.uri;
    this.routeSet = [...(h.recordRoute ?? [])];
    this.remoteCseq = h.cseq.seq;
    this.lifetime = new DialogLifetime({
      ua,
      owner: this,
      onEnded: (cause) => opts.events.onEnded(cause),
      running: () => ({ stoppables: [this.okRepeat, this.reinviteOk, this.sessionTimer] }),
      onRelease: () => {
        tx.onCancel = undefined;
      },
    });
  }

  get state(): IncomingPhase {
    return this.phase;
  }

  /** The caller's URI (the INVITE's From). */
  get peer(): string {
    return this.remoteParty.uri;
  }

  /** The caller's SDP offer; empty when the INVITE carried none (our 2xx then carries the offer). */
  get offer(): Buffer {
    return this.invite.body;
  }

  /** True once nothing of this call is left on the wire. */
  get released(): boolean {
    return this.lifetime.released;
  }

  /** Takes the call over from the UA core and rings: 180 Ringing with our To tag and Contact. */
  start(): void {
    this.ua.addDialogOwner(this);
    this.tx.onCancel = () => this.onCancelled();
    this.tx.respond(this.inviteResponse(180, 'Ringing', this.dialogHeaders()));
  }

  /** Answers with our SDP: 200 OK, repeated until the ACK (§13.3.1.4). False if the call is no longer ringing. */
  accept(sdp: Buffer): boolean {
    if (this.phase !== 'ringing') return false;
    this.phase = 'accepted';
    this.localSdp = sdp;
    const headers = { ...this.dialogHeaders(), contentType: 'application/sdp' };
    headers.other = { ...headers.other, ...this.sessionTimerHeaders(this.invite) };
    const ok = this.inviteResponse(200, 'OK', headers, sdp);
    this.tx.respond(ok);
    this.okRepeat = repeat2xx(this.ua, ok, this.tx.responseDest, this.timerConfig, () => this.noAck());
    return true;
  }

  /** Refuses the ringing call with a final status (300-699). False if it is no longer ringing. */
  reject(status = 486, reason = 'Busy Here'): boolean {
    if (this.phase !== 'ringing') return false;
    if (!Number.isInteger(status) || status < 300 || status > 699) throw new RangeError(`reject needs a status from 300 to 699, got ${status}`);
    this.tx.respond(this.inviteResponse(status, reason));
    this.end({ by: 'local', status, reason: `${status} ${reason}`.trim() });
    this.release();
    return true;
  }

  /** Ends the call from our side: 603 Decline while ringing, BYE once answered. */
  hangup(reason = 'hung up'): void {
    switch (this.phase) {
      case 'ringing':
        this.tx.respond(this.inviteResponse(603, 'Decline'));
        this.end({ by: 'local', status: 603, reason });
        this.release();
        return;
      case 'accepted':
        // §15: no BYE on our side until the 2xx is ACKed or its retransmission gives up.
        this.byeWanted = true;
        this.end({ by: 'local', reason });
        return;
      case 'active':
        this.sendBye();
        this.end({ by: 'local', reason });
        return;
      case 'ended':
        return;
    }
  }

  // Headers of a response that creates the dialog (§12.1.1): Record-Route copied, our Contact.
  private dialogHeaders(): Partial<SipResponse['headers']> {
    const extra: Partial<SipResponse['headers']> = { contact: [this.ua.contact()], other: { allow: [ALLOWED_METHODS.join(', ')] } };
    if (this.invite.headers.recordRoute?.length) extra.recordRoute = this.invite.headers.recordRoute;
    return extra;
  }

  // §8.2.6.2: every response to the INVITE carries the same To tag, ours.
  private inviteResponse(status: number, reason: string, extra?: Partial<SipResponse['headers']>, body?: Buffer): SipResponse {
    const res = this.ua.makeResponse(this.invite, status, reason, extra, body);
    res.headers.to = { ...res.headers.to, params: { ...res.headers.to.params, tag: this.localTag } };
    return res;
  }

  private onCancelled(): void {
    if (this.phase !== 'ringing') return;
    // §9.2: the INVITE ends with 487; the core has already answered the CANCEL itself.
    this.tx.respond(this.inviteResponse(487, 'Request Terminated'));
    this.end({ by: 'remote', status: 487, reason: 'cancelled by the caller' });
    this.release();
  }

  // §13.3.1.4: no ACK within 64*T1 — the dialog counts as confirmed, and is ended with BYE.
  private noAck(): void {
    if (this.acked) return;
    this.acked = true;
    this.opts.log.warn('call.no-ack', { callId: this.callId, peer: this.peer });
    this.sendBye();
    this.end({ by: 'network', reason: 'no ACK for our 200 OK (timeout)' });
  }

  private onAck(req: SipRequest): void {
    if (req.headers.cseq.seq !== this.invite.headers.cseq.seq) {
      this.reinviteOk?.stop(); // the ACK of our 2xx to a re-INVITE
      return;
    }
    if (this.acked || this.phase === 'ringing') return;
    this.acked = true;
    this.okRepeat?.stop();
    if (this.byeWanted) {
      this.sendBye();
      return;
    }
    if (this.phase !== 'accepted') return;
    this.phase = 'active';
    this.opts.events.onAcked?.(req.body.length ? req.body : undefined);
  }

  private buildInDialog(method: string, cseq: number, extra?: { other: Record<string, string[]>; contentType: string; body: Buffer }): SipRequest {
    return this.ua.buildRequest({
      method,
      uri: this.remoteTarget,
      from: this.localParty,
      to: this.remoteParty,
      callId: this.callId,
      cseq,
      route: this.routeSet,
      ...extra,
    });
  }

  // RFC 4028 §9: a caller that supports timers and asks for one (Session-Expires)
  // gets it, and refreshes it (refresher=uac): we only watch, and end the call
  // with BYE when no refresh comes (§10). Each re-INVITE from it is a refresh.
  private sessionTimerHeaders(req: SipRequest): Record<string, string[]> {
    const asked = parseSessionExpires(req);
    const supports = (req.headers.other['supported'] ?? []).some((v) => /(^|,)\s*timer\s*(,|$)/i.test(v));
    if (!asked || !supports) {
      // A refresh without the header keeps the running timer going.
      const running = this.sessionTimer?.state;
      if (running) this.sessionTimer!.arm(running.seconds, false);
      return {};
    }
    this.sessionTimer ??= new SessionTimer(this.ua.timers, {
      refresh: () => {},
      expire: () => {
        if (this.phase !== 'active' && this.phase !== 'accepted') return;
        this.opts.log.warn('call.session-expired', { callId: this.callId, peer: this.peer });
        if (this.phase === 'active') this.sendBye();
        else this.byeWanted = true;
        this.end({ by: 'network', reason: 'session expired without a refresh (RFC 4028)' });
      },
    });
    this.sessionTimer.arm(asked.seconds, false);
    return { 'session-expires': [formatSessionExpires({ seconds: asked.seconds, refresher: 'uac' })], require: ['timer'] };
  }

  /** Tells the caller that asked for a transfer how the new call goes (1xx, or the final status). */
  notifyRefer(status: number): void {
    this.refer?.notify(status);
  }

  // A request of our own inside the dialog (NOTIFY for a REFER); its answer changes nothing here.
  private sendInDialog(method: string, other: Record<string, string[]>, contentType: string, body: Buffer): void {
    if (this.lifetime.released) return;
    this.ua.sendRequest(this.buildInDialog(method, ++this.localCseq, { other, contentType, body }), () => {});
  }

  private sendBye(): void {
    sendBye(this.ua, () => this.buildInDialog('BYE', ++this.localCseq), this.opts.auth, () => this.release());
  }

  // The end is reported once; the dialog is released when nothing is left in flight.
  private end(cause: EndCause): void {
    this.phase = 'ended';
    this.lifetime.end(cause);
  }

  private release(): void {
    this.lifetime.release();
  }

  // --- DialogOwner ----------------------------------------------------------

  onStray2xx(_res: SipResponse): void {
    // We send no INVITE, so no 2xx to one can be ours.
  }

  onInDialogRequest(req: SipRequest, tx: ServerTransaction | undefined): boolean {
    if (req.headers.callId !== this.callId) return false;
    if (req.headers.to.params.tag !== this.localTag) return false;
    if (String(req.headers.from.params.tag ?? '') !== this.remoteTag) return false;
    if (req.method === 'ACK') {
      this.onAck(req);
      return true;
    }
    if (!tx) return true;
    if (!checkCseqOrder(this.ua, req, tx, this.remoteCseq)) return true;
    this.remoteCseq = req.headers.cseq.seq;
    const onRefer = this.opts.events.onRefer;
    if (req.method === 'REFER' && onRefer && this.phase === 'active') {
      this.refer = answerRefer(this.ua, req, tx, onRefer, (method, other, contentType, body) => this.sendInDialog(method, other, contentType, body)) ?? this.refer;
      return true;
    }
    if (answerStatelessInDialog(this.ua, req, tx, this.opts.events.onInfo)) return true;
    if (req.method === 'BYE') {
      tx.respond(this.ua.makeResponse(req, 200, 'OK'));
      // §15.1.2: a BYE in the early dialog ends the INVITE too, with 487.
      if (this.phase === 'ringing') this.tx.respond(this.inviteResponse(487, 'Request Terminated'));
      this.end({ by: 'remote', reason: 'hung up by the other side' });
      this.release();
    } else {
      this.answerReinvite(req, tx);
    }
    return true;
  }

  // A re-INVITE (hold, codec or address change): answer its offer, then repeat
  // the 2xx until the ACK arrives (§13.3.1.4), since the transaction will not.
  private answerReinvite(req: SipRequest, tx: ServerTransaction): void {
    if (this.phase !== 'active') {
      // §14.2: a re-INVITE while our INVITE answer is still unconfirmed (or after the end) waits.
      tx.respond(this.ua.makeResponse(req, 500, 'Server Internal Error', { other: { 'retry-after': ['1'] } }));
      return;
    }
    const answer = req.body.length ? this.opts.events.onReoffer?.(req.body) : this.localSdp;
    if (!answer) {
      tx.respond(this.ua.makeResponse(req, 488, 'Not Acceptable Here'));
      return;
    }
    const contact = req.headers.contact === '*' ? undefined : req.headers.contact?.[0]?.uri;
    if (contact) this.remoteTarget = contact; // a target refresh (§12.2.2)
    this.localSdp = answer;
    const ok = this.ua.makeResponse(req, 200, 'OK', { contact: [this.ua.contact()], contentType: 'application/sdp', other: this.sessionTimerHeaders(req) }, answer);
    tx.respond(ok);
    this.reinviteOk?.stop();
    this.reinviteOk = repeat2xx(this.ua, ok, tx.responseDest, this.timerConfig);
  }

}
