// One outgoing call: INVITE with digest, provisional responses, the dialog that
// a 2xx creates (RFC 3261 §12, §13), ACK with the route set from
// Record-Route, CANCEL before answer (§9.1), BYE in both directions (§15), and
// the in-dialog requests a phone may send (re-INVITE, INFO, OPTIONS).
// The call knows nothing of media: it carries SDP bodies and reports events.
import type { AuthHeader, NameAddr, SipRequest, SipResponse } from './message.ts';
import type { TimerHandle } from './clock.ts';
import { newCallId, newTag } from './ids.ts';
import type { ClientOutcome, ClientTransaction, ServerTransaction } from './transaction.ts';
import type { Authenticator } from './authenticator.ts';
import { answerStatelessInDialog, attachCredentials, checkCseqOrder, repeat2xx, sendBye, type Repeater } from './dialog-support.ts';
import { DialogLifetime, type EndCause } from './dialog-lifetime.ts';
import { answerRefer, type ReferSubscription } from './refer.ts';
import { formatSessionExpires, parseSessionExpires, SessionTimer } from './session-timer.ts';
import { ALLOWED_METHODS, type DialogOwner, type UaLog, type UserAgent } from './user-agent.ts';
import type { Endpoint } from './transport-port.ts';

export type CallPhase = 'calling' | 'ringing' | 'active' | 'ended';

export type { EndCause } from './dialog-lifetime.ts';

export interface CallEvents {
  /** 180/183 (with SDP when the network sends early media). */
  onRinging(status: number, sdp?: Buffer): void;
  /** 2xx: the dialog is confirmed; sdp is the answer to our offer. */
  onAnswered(sdp: Buffer): void;
  /** The call is over, once, whatever the path. */
  onEnded(cause: EndCause): void;
  /** The peer sent a new offer (re-INVITE); return our answer, or undefined to refuse with 488. */
  onReoffer?(sdp: Buffer): Buffer | undefined;
  /** An INFO request in the dialog (e.g. application/dtmf-relay). */
  onInfo?(contentType: string | undefined, body: Buffer): void;
  /** A REFER in the dialog (RFC 3515): return true to take the transfer (202), false to decline (603). Without it: 501. */
  onRefer?(target: string): boolean;
}

export interface OutgoingCallOptions {
  /** Request-URI of the callee. */
  target: string;
  /** Our SDP offer. */
  offer: Buffer;
  auth: Authenticator;
  log: UaLog;
  events: CallEvents;
  /**
   * The INVITE timed out or could not be sent. Told apart from onEnded so the
   * station can start watching the server now: with UDP and no registration
   * refresh due, a failed call may be the only sign that the network is gone.
   */
  onUnreachable?: (reason: string) => void;
  /** Send the whole call straight here, not through the outbound proxy (UserAgent.routeDirectly). */
  direct?: Endpoint;
  /**
   * Give up when not a single response (not even 100 Trying) has come this
   * long after the INVITE, instead of retransmitting until Timer B (32 s).
   * A stateful proxy answers 100 Trying within 200 ms (RFC 3261 §16.2, §16.7),
   * so seconds of silence through a registrar mean it is gone, and a visitor
   * at the door should reach the fallback now, not in half a minute.
   */
  silenceLimitMs?: number;
}

/** Reason phrases for the failures a door station meets most. */
function describeFailure(res: SipResponse): string {
  const known: Record<number, string> = {
    404: 'not found (unknown extension)',
    408: 'no answer (request timeout)',
    480: 'temporarily unavailable (not registered or do-not-disturb)',
    486: 'busy',
    487: 'cancelled',
    488: 'not acceptable here (no common codec)',
    600: 'busy everywhere',
    603: 'declined',
  };
  return `${res.status} ${known[res.status] ?? res.reason}`.trim();
}

export class OutgoingCall implements DialogOwner {
  readonly callId: string;
  private readonly localTag = newTag();
  private phase: CallPhase = 'calling';
  private cseq = 0;
  private invite?: ClientTransaction;
  private inviteReq?: SipRequest;
  private authTries = 0;
  private gotProvisional = false;
  private cancelWanted = false;
  private cancelSent = false;
  private cancelGuard?: TimerHandle;
  private silenceGuard?: TimerHandle;
  private readonly lifetime: DialogLifetime;
  // Dialog state (§12.1.2), set by the 2xx.
  private remoteTag?: string;
  private remoteTarget?: string;
  private routeSet: NameAddr[] = [];
  private remoteCseq?: number;
  private ack?: SipRequest;
  private reinviteOk?: Repeater;
  /** The transfer the other side asked for, whose progress it is told (RFC 3515 §2.4.4). */
  private refer?: ReferSubscription;
  /** Session timer (RFC 4028), when the 2xx or a refresh put one on the call. */
  private sessionTimer?: SessionTimer;

  constructor(
    private readonly ua: UserAgent,
    private readonly opts: OutgoingCallOptions,
  ) {
    this.callId = newCallId(ua.identity.domain);
    this.lifetime = new DialogLifetime({
      ua,
      owner: this,
      onEnded: (cause) => opts.events.onEnded(cause),
      running: () => ({ timers: [this.cancelGuard, this.silenceGuard], stoppables: [this.reinviteOk, this.sessionTimer] }),
      onRelease: () => ua.forgetDirect(this.callId),
    });
  }

  get state(): CallPhase {
    return this.phase;
  }

  get peer(): string {
    return this.opts.target;
  }

  /** Sends the INVITE. */
  start(): void {
    this.ua.addDialogOwner(this);
    if (this.opts.direct) this.ua.routeDirectly(this.callId, this.opts.direct);
    // RFC 3261 §22.3: credentials for the realm that challenged the last INVITE
    // go with this one, sparing the visitor the 407 round trip.
    this.sendInvite(this.opts.auth.preempt?.('INVITE', this.opts.target, this.opts.offer, this.server));
  }

  /** Whose digest state this call uses: the account's registrar/proxy (undefined), or the party called directly. */
  private get server(): string | undefined {
    const d = this.opts.direct;
    return d && `${d.protocol}:${d.address}:${d.port}`;
  }

  private sendInvite(auth?: { header: AuthHeader; proxy: boolean }): void {
    const ua = this.ua;
    const req = ua.buildRequest({
      method: 'INVITE',
      uri: this.opts.target,
      from: ua.fromHeader(this.localTag),
      to: { uri: this.opts.target, params: {} },
      callId: this.callId,
      cseq: ++this.cseq,
      contact: [ua.contact(this.opts.direct?.protocol)],
      body: this.opts.offer,
      contentType: 'application/sdp',
      // RFC 4028 §7.1: we can refresh, so the callee or a proxy may time the session.
      other: { allow: [ALLOWED_METHODS.join(', ')], supported: ['timer'] },
    });
    if (auth) attachCredentials(req, auth);
    this.inviteReq = req;
    this.gotProvisional = false;
    this.invite = ua.sendRequest(req, (o) => this.onInviteOutcome(o, req));
    const limit = this.opts.silenceLimitMs;
    if (limit !== undefined) {
      this.ua.timers.clear(this.silenceGuard);
      this.silenceGuard = this.ua.timers.set(limit, () => this.serverSilent(req));
    }
  }

  private serverSilent(req: SipRequest): void {
    if (req !== this.inviteReq || this.phase === 'ended') return;
    // No provisional response yet, so there is nothing to CANCEL (§9.1): stop
    // retransmitting and let a late response fall on the floor as a stray.
    const reason = 'no answer from the server';
    this.invite?.terminate();
    // Said first, so a fallback dialled on hearing of the end already knows.
    this.opts.onUnreachable?.(reason);
    this.end({ by: 'network', reason });
    this.release();
  }

  private onInviteOutcome(o: ClientOutcome, req: SipRequest): void {
    if (o.kind !== 'response') {
      const reason = o.kind === 'timeout' ? 'no answer from the server (timeout)' : `cannot reach the server: ${o.reason}`;
      this.end({ by: 'network', reason });
      if (req === this.inviteReq) this.release();
      this.opts.onUnreachable?.(reason);
      return;
    }
    const res = o.response;
    if (req === this.inviteReq) this.ua.timers.clear(this.silenceGuard);
    if (req !== this.inviteReq) {
      // A 2xx to an INVITE we replaced (challenge) or cancelled still makes a dialog: end it.
      if (res.status >= 200 && res.status < 300) this.ackAndBye(res);
      return;
    }
    if (res.status < 200) {
      if (res.status === 100) {
        this.gotProvisional = true;
      } else {
        this.gotProvisional = true;
        if (this.phase === 'calling' && !this.cancelWanted) {
          this.phase = 'ringing';
          this.opts.events.onRinging(res.status, res.body.length ? res.body : undefined);
        }
      }
      if (this.cancelWanted && !this.cancelSent) this.sendCancel();
      return;
    }
    if (res.status < 300) return this.onAccepted(res);
    if ((res.status === 401 || res.status === 407) && !this.cancelWanted) {
      const a = this.opts.auth.answer(res, 'INVITE', this.opts.target, this.opts.offer, this.server);
      if (a.ok && ++this.authTries <= 2) return this.sendInvite({ header: a.header, proxy: a.proxy });
      this.end({ by: 'network', status: res.status, reason: a.ok ? 'authentication failed' : a.error });
    } else if (this.cancelWanted) {
      this.end({ by: 'local', status: res.status, reason: 'cancelled' });
    } else {
      this.end({ by: 'remote', status: res.status, reason: describeFailure(res) });
    }
    this.release();
  }

  private onAccepted(res: SipResponse): void {
    if (this.remoteTag !== undefined) {
      // A retransmission (same tag): repeat the ACK. A second dialog from forking: close it.
      if (res.headers.to.params.tag === this.remoteTag) this.resendAck();
      else this.ackAndBye(res);
      return;
    }
    this.remoteTag = String(res.headers.to.params.tag ?? '');
    const contact = res.headers.contact === '*' ? undefined : res.headers.contact?.[0]?.uri;
    this.remoteTarget = contact ?? this.opts.target;
    // §12.1.2: the route set is the Record-Route of the 2xx, reversed.
    this.routeSet = [...(res.headers.recordRoute ?? [])].reverse();
    this.ack = this.buildInDialog('ACK', this.cseq);
    this.resendAck();
    this.ua.timers.clear(this.cancelGuard);
    if (this.cancelWanted || this.phase === 'ended') {
      // The callee answered while we were cancelling (§9.1 race): hang up properly.
      this.phase = 'ended';
      this.sendBye();
      return;
    }
    this.phase = 'active';
    this.startSessionTimer(res);
    this.opts.events.onAnswered(res.body);
  }

  private timer(): SessionTimer {
    return (this.sessionTimer ??= new SessionTimer(this.ua.timers, { refresh: () => this.sendRefresh(), expire: () => this.sessionExpired() }));
  }

  // RFC 4028 §7.2: a 2xx with Session-Expires times the session; without a
  // refresher parameter (a proxy asked, the callee knows nothing of it) we refresh.
  private startSessionTimer(res: SipResponse): void {
    const se = parseSessionExpires(res);
    if (se) this.timer().arm(se.seconds, se.refresher !== 'uas');
  }

  // §7.4: the refresh is a re-INVITE with our unchanged offer (RFC 3264 §8: same o= version).
  private sendRefresh(): void {
    const state = this.sessionTimer?.state;
    if (this.phase !== 'active' || !state) return;
    const req = this.buildInDialog('INVITE', ++this.cseq, {
      contact: [this.ua.contact(this.opts.direct?.protocol)],
      body: this.opts.offer,
      contentType: 'application/sdp',
      other: { 'session-expires': [formatSessionExpires({ seconds: state.seconds, refresher: 'uac' })], supported: ['timer'], allow: [ALLOWED_METHODS.join(', ')] },
    });
    this.ua.sendRequest(req, (o) => {
      if (o.kind !== 'response') return this.sessionExpired();
      const res = o.response;
      if (res.status < 200) return;
      if (res.status < 300) {
        this.ack = this.buildInDialog('ACK', req.headers.cseq.seq);
        this.resendAck();
        const next = parseSessionExpires(res);
        this.timer().arm(next?.seconds ?? state.seconds, next?.refresher !== 'uas');
        return;
      }
      // §12.2.1.2 of RFC 3261: 481 or 408 to a request in the dialog means the dialog is gone.
      if (res.status === 481 || res.status === 408) return this.sessionExpired();
      // 491 (both sides re-INVITing) or another refusal: the session goes on; try again at the next half interval.
      this.timer().arm(state.seconds, true);
    });
  }

  private sessionExpired(): void {
    if (this.phase !== 'active') return;
    this.sendBye();
    this.end({ by: 'network', reason: 'session expired without a refresh (RFC 4028)' });
  }

  private resendAck(): void {
    if (this.ack) this.ua.sendStateless(this.ack);
  }

  /** A 2xx for a dialog we do not want: ACK it and BYE it at once. */
  private ackAndBye(res: SipResponse): void {
    const tag = String(res.headers.to.params.tag ?? '');
    const contact = res.headers.contact === '*' ? undefined : res.headers.contact?.[0]?.uri;
    const route = [...(res.headers.recordRoute ?? [])].reverse();
    const base = { from: this.ua.fromHeader(this.localTag), to: { ...res.headers.to }, callId: this.callId, route };
    const uri = contact ?? this.opts.target;
    this.ua.sendStateless(this.ua.buildRequest({ method: 'ACK', uri, cseq: res.headers.cseq.seq, ...base }));
    this.ua.sendRequest(this.ua.buildRequest({ method: 'BYE', uri, cseq: res.headers.cseq.seq + 1, ...base }), () => {});
    void tag;
  }

  private buildInDialog(method: string, cseq: number, extra?: Partial<Parameters<UserAgent['buildRequest']>[0]>): SipRequest {
    return this.ua.buildRequest({
      method,
      uri: this.remoteTarget ?? this.opts.target,
      from: this.ua.fromHeader(this.localTag),
      to: { uri: this.opts.target, params: { tag: this.remoteTag ?? '' } },
      callId: this.callId,
      cseq,
      route: this.routeSet,
      ...extra,
    });
  }

  /** Tells the party that asked for a transfer how the new call goes (1xx, or the final status). */
  notifyRefer(status: number): void {
    this.refer?.notify(status);
  }

  // A request of our own inside the dialog (NOTIFY for a REFER); its answer changes nothing here.
  private sendInDialog(method: string, other: Record<string, string[]>, contentType: string, body: Buffer): void {
    if (this.lifetime.released || this.remoteTag === undefined) return;
    this.ua.sendRequest(this.buildInDialog(method, ++this.cseq, { other, contentType, body }), () => {});
  }

  /** Ends the call from our side: CANCEL before answer, BYE after. */
  hangup(reason = 'hung up'): void {
    if (this.phase === 'ended') return;
    if (this.phase === 'active') {
      this.sendBye();
      this.end({ by: 'local', reason });
      return;
    }
    // Not answered yet: CANCEL, now if a provisional arrived, else when one does (§9.1).
    this.cancelWanted = true;
    if (this.gotProvisional) this.sendCancel();
    // §9.1: if no final response comes within 64*T1, consider the INVITE cancelled.
    this.cancelGuard = this.ua.timers.set(32_000, () => {
      this.invite?.terminate();
      this.release();
    });
    this.end({ by: 'local', reason });
  }

  private sendCancel(): void {
    const inv = this.inviteReq;
    if (!inv || this.cancelSent) return;
    this.cancelSent = true;
    // §9.1: same Request-URI, Call-ID, To, From, CSeq number, Route and branch as the INVITE.
    const cancel = this.ua.buildRequest({
      method: 'CANCEL',
      uri: inv.uri,
      from: inv.headers.from,
      to: inv.headers.to,
      callId: inv.headers.callId,
      cseq: inv.headers.cseq.seq,
      branch: String(inv.headers.via[0]!.params.branch),
      ...(inv.headers.route ? { route: inv.headers.route } : {}),
    });
    this.ua.sendRequest(cancel, () => {});
  }

  private sendBye(): void {
    sendBye(this.ua, () => this.buildInDialog('BYE', ++this.cseq), this.opts.auth, () => this.release());
  }

  // The end is reported once; the dialog is released separately, when no
  // CANCEL or BYE is left in flight.
  private end(cause: EndCause): void {
    this.phase = 'ended';
    this.lifetime.end(cause);
  }

  /** True once nothing of this call is left on the wire. */
  get released(): boolean {
    return this.lifetime.released;
  }

  private release(): void {
    this.lifetime.release();
  }

  // --- DialogOwner ----------------------------------------------------------

  onStray2xx(res: SipResponse): void {
    if (res.headers.callId !== this.callId) return;
    if (res.headers.to.params.tag === this.remoteTag) this.resendAck();
    else if (res.headers.from.params.tag === this.localTag) this.ackAndBye(res);
  }

  onInDialogRequest(req: SipRequest, tx: ServerTransaction | undefined): boolean {
    if (req.headers.callId !== this.callId) return false;
    if (req.headers.to.params.tag !== this.localTag) return false;
    if (this.remoteTag === undefined || req.headers.from.params.tag !== this.remoteTag) return false;
    if (req.method === 'ACK') {
      this.reinviteOk?.stop(); // the ACK of our 2xx to a re-INVITE
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
    const answer = req.body.length ? this.opts.events.onReoffer?.(req.body) : this.opts.offer;
    if (!answer) {
      tx.respond(this.ua.makeResponse(req, 488, 'Not Acceptable Here'));
      return;
    }
    const contact = req.headers.contact === '*' ? undefined : req.headers.contact?.[0]?.uri;
    if (contact) this.remoteTarget = contact;
    const ok = this.ua.makeResponse(req, 200, 'OK', { contact: [this.ua.contact()], contentType: 'application/sdp', other: this.refreshedBy(req) }, answer);
    tx.respond(ok);
    this.reinviteOk?.stop();
    this.reinviteOk = repeat2xx(this.ua, ok, tx.responseDest, this.ua.timerConfig);
  }

  // RFC 4028 §9: a re-INVITE from the peer refreshes the session. Unless it asks
  // us to (refresher=uas), the peer keeps refreshing and we watch; the 2xx says so.
  private refreshedBy(req: SipRequest): Record<string, string[]> {
    const asked = parseSessionExpires(req);
    const running = this.sessionTimer?.state;
    if (!asked) {
      if (running) this.timer().arm(running.seconds, running.weRefresh);
      return {};
    }
    const weRefresh = asked.refresher === 'uas';
    this.timer().arm(asked.seconds, weRefresh);
    return { 'session-expires': [formatSessionExpires({ seconds: asked.seconds, refresher: weRefresh ? 'uas' : 'uac' })], require: ['timer'] };
  }

}
