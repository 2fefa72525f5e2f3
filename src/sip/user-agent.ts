// The user-agent core: turns received messages into transaction and dialog
// events, answers what needs no application (OPTIONS, stray and unsupported
// requests), and gives the layers above one way to send requests.
// It owns no socket and no timer source: both are injected.
import type { NameAddr, SipMessage, SipRequest, SipResponse } from './message.ts';
import type { Timers } from './clock.ts';
import { newBranch, newTag } from './ids.ts';
import {
  ClientTransaction,
  DEFAULT_TIMERS,
  ServerTransaction,
  transactionKey,
  type ClientOutcome,
  type TimerConfig,
  type TransactionEnv,
} from './transaction.ts';
import type { Endpoint, Protocol, SipTransportPort } from './transport-port.ts';
import { resolveTarget } from './target.ts';
import type { EventLog } from '../log/logger.ts';

/** Methods this UA understands (RFC 3261 §20.5 Allow). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REFER'];
/** SIP extensions (option-tags) this UA implements: session timers (RFC 4028). */
export const SUPPORTED_EXTENSIONS = ['timer'];
const KNOWN_METHODS = new Set([...ALLOWED_METHODS, 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'MESSAGE', 'REFER', 'UPDATE']);

export interface UaIdentity {
  user: string;
  domain: string;
  displayName?: string;
  /** Transport used for requests this UA originates. */
  protocol: Protocol;
  /** Registrar and outbound proxy: every request this UA originates goes there (RFC 3261 §8.1.2). */
  outboundProxy?: Endpoint;
  /** User-Agent / Server header value; none by default so nothing advertises a version. */
  userAgent?: string;
}

/** Something that owns dialogs: requests inside them and stray 2xx retransmissions go here. */
export interface DialogOwner {
  /** An in-dialog request (To tag set) arrived; return false if no dialog matches. */
  onInDialogRequest(req: SipRequest, tx: ServerTransaction | undefined): boolean;
  /** A 2xx to INVITE arrived after its transaction ended (lost ACK: re-send it). */
  onStray2xx(res: SipResponse): void;
}

export type IncomingInviteHandler = (req: SipRequest, tx: ServerTransaction, source: Endpoint) => void;

export type UaLog = EventLog;

export interface RequestSpec {
  method: string;
  uri: string;
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: number;
  contact?: NameAddr[];
  route?: NameAddr[];
  expires?: number;
  body?: Buffer;
  contentType?: string;
  other?: Record<string, string[]>;
  /** Reuse a branch (CANCEL must match its INVITE, §9.1). */
  branch?: string;
}

export class UserAgent {
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly env: TransactionEnv;
  private readonly dialogOwners: DialogOwner[] = [];
  /** Calls sent straight to their target instead of through the outbound proxy, by Call-ID. */
  private readonly direct = new Map<string, Endpoint>();
  /** What to do with an INVITE outside a dialog; refused with 486 until someone decides otherwise. */
  onIncomingInvite: IncomingInviteHandler = (req, tx) => tx.respond(this.makeResponse(req, 486, 'Busy Here'));

  constructor(
    readonly identity: UaIdentity,
    readonly transport: SipTransportPort,
    readonly timers: Timers,
    private readonly log: UaLog,
    timerConfig: TimerConfig = DEFAULT_TIMERS,
  ) {
    this.env = {
      transport,
      timers,
      config: timerConfig,
      onTerminated: (key) => {
        this.clients.delete(key);
        this.servers.delete(key);
      },
    };
  }

  /** RFC 3261 timer values (T1, T2, T4) this UA runs with. */
  get timerConfig(): TimerConfig {
    return this.env.config;
  }

  addDialogOwner(owner: DialogOwner): void {
    if (!this.dialogOwners.includes(owner)) this.dialogOwners.push(owner);
  }

  removeDialogOwner(owner: DialogOwner): void {
    const i = this.dialogOwners.indexOf(owner);
    if (i >= 0) this.dialogOwners.splice(i, 1);
  }

  /** Our address-of-record as a From header (with a fresh tag unless given). */
  fromHeader(tag = newTag()): NameAddr {
    const { user, domain, displayName } = this.identity;
    const out: NameAddr = { uri: `sip:${user}@${domain}`, params: { tag } };
    if (displayName) out.name = `"${displayName.replace(/["\\]/g, '')}"`;
    return out;
  }

  /**
   * Our address as the registrar sees it, when a NAT sits in between (learned
   * from its responses, RFC 3581); used in Contact instead of the local one.
   */
  publicAddress?: { address: string; port: number };

  /**
   * Sends every request of the call `callId` straight to `target` (and, inside
   * its dialog, to the remote target, §12.2.1.1) instead of through the
   * outbound proxy: a party addressed by IP that must be reachable while the
   * registrar is not. Undone by forgetDirect.
   */
  routeDirectly(callId: string, target: Endpoint): void {
    this.direct.set(callId, target);
  }

  forgetDirect(callId: string): void {
    this.direct.delete(callId);
  }

  /** Our Contact: where this UA receives requests, on the transport it uses (or `protocol`). */
  contact(protocol?: Protocol): NameAddr {
    const p = protocol ?? this.identity.protocol;
    const { address, port } = this.publicAddress ?? this.transport.local(p);
    const host = address.includes(':') ? `[${address}]` : address;
    const tp = p === 'UDP' ? '' : `;transport=${p.toLowerCase()}`;
    return { uri: `sip:${this.identity.user}@${host}:${port}${tp}`, params: {} };
  }

  /** Builds a request with Via, Max-Forwards and the optional User-Agent filled in. */
  buildRequest(spec: RequestSpec): SipRequest {
    // §18.1.1: the Via names the transport the request actually leaves on.
    const p = this.direct.get(spec.callId)?.protocol ?? this.identity.protocol;
    const { address, port } = this.transport.local(p);
    const other: Record<string, string[]> = { ...(spec.other ?? {}) };
    if (this.identity.userAgent) other['user-agent'] = [this.identity.userAgent];
    const req: SipRequest = {
      kind: 'request',
      method: spec.method,
      uri: spec.uri,
      headers: {
        // rport: ask for the response to come back to the source port (RFC 3581 §3).
        via: [{ version: '2.0', protocol: p, host: address, port, params: { branch: spec.branch ?? newBranch(), rport: null } }],
        maxForwards: 70,
        from: spec.from,
        to: spec.to,
        callId: spec.callId,
        cseq: { seq: spec.cseq, method: spec.method },
        other,
      },
      body: spec.body ?? Buffer.alloc(0),
    };
    if (spec.route && spec.route.length) req.headers.route = spec.route;
    if (spec.contact) req.headers.contact = spec.contact;
    if (spec.expires !== undefined) req.headers.expires = spec.expires;
    if (spec.contentType) req.headers.contentType = spec.contentType;
    return req;
  }

  /** Where a request goes: the outbound proxy, else its first Route, else its Request-URI. */
  destinationFor(req: SipRequest): Endpoint | undefined {
    const direct = this.direct.get(req.headers.callId);
    const first = req.headers.route?.[0]?.uri;
    if (direct) return resolveTarget(first ?? req.uri, direct.protocol) ?? direct;
    if (this.identity.outboundProxy) return this.identity.outboundProxy;
    return resolveTarget(first ?? req.uri, this.identity.protocol);
  }

  /** Starts a client transaction for a request; every outcome (1xx, final, timeout) goes to onOutcome. */
  sendRequest(req: SipRequest, onOutcome: (o: ClientOutcome) => void): ClientTransaction | undefined {
    const dest = this.destinationFor(req);
    if (!dest) {
      onOutcome({ kind: 'transport-error', reason: `cannot route to ${req.uri}` });
      return undefined;
    }
    const tx = new ClientTransaction(req, dest, { onOutcome }, this.env);
    this.clients.set(tx.key, tx);
    tx.start();
    return tx;
  }

  /** Sends a request that has no transaction of its own (the ACK for a 2xx, §13.2.2.4). */
  sendStateless(req: SipRequest): void {
    const dest = this.destinationFor(req);
    if (dest) this.transport.send(req, dest);
  }

  /** Builds a response to a request (§8.2.6): copies Via, From, To, Call-ID, CSeq; adds a To tag for finals. */
  makeResponse(req: SipRequest, status: number, reason: string, extra?: Partial<SipResponse['headers']>, body?: Buffer): SipResponse {
    const to = { ...req.headers.to, params: { ...req.headers.to.params } };
    if (status > 100 && to.params.tag === undefined) to.params.tag = newTag();
    const other: Record<string, string[]> = { ...(extra?.other ?? {}) };
    if (this.identity.userAgent) other.server = [this.identity.userAgent];
    return {
      kind: 'response',
      status,
      reason,
      headers: {
        via: req.headers.via,
        from: req.headers.from,
        to,
        callId: req.headers.callId,
        cseq: req.headers.cseq,
        ...extra,
        other,
      },
      body: body ?? Buffer.alloc(0),
    };
  }

  /** Entry point for every parsed message from the network. */
  receive(msg: SipMessage, source: Endpoint): void {
    if (msg.kind === 'response') this.receiveResponse(msg);
    else this.receiveRequest(msg, source);
  }

  private receiveResponse(res: SipResponse): void {
    // §18.1.2: a response whose top Via is not ours is discarded.
    const branch = String(res.headers.via[0]?.params.branch ?? '');
    const tx = this.clients.get(transactionKey(branch, res.headers.cseq.method));
    if (tx) {
      tx.receive(res);
      return;
    }
    if (res.headers.cseq.method === 'INVITE' && res.status >= 200 && res.status < 300) {
      for (const o of this.dialogOwners) o.onStray2xx(res);
      return;
    }
    this.log.debug('sip.stray-response', { status: res.status, callId: res.headers.callId });
  }

  private receiveRequest(req: SipRequest, source: Endpoint): void {
    const via = req.headers.via[0]!;
    // RFC 3261 §18.2.1 and RFC 3581 §4: note where the request really came from.
    if (via.host !== source.address) via.params.received = source.address;
    if ('rport' in via.params) via.params.rport = String(source.port);
    const respondTo = this.responseDestination(req, source);
    const branch = String(via.params.branch ?? '');
    const key = transactionKey(branch, req.method);

    if (req.method === 'ACK') {
      const tx = this.servers.get(key);
      if (tx) tx.receive(req);
      else if (req.headers.to.params.tag !== undefined) this.dispatchInDialog(req, undefined);
      return;
    }
    const existing = this.servers.get(key);
    if (existing) {
      existing.receive(req); // a retransmission: repeat the last response
      return;
    }
    const tx = new ServerTransaction(req, respondTo, this.env);
    this.servers.set(tx.key, tx);

    if (req.method === 'CANCEL') {
      // §9.2: CANCEL matches the INVITE's server transaction.
      const invite = this.servers.get(transactionKey(branch, 'INVITE'));
      if (!invite) {
        tx.respond(this.makeResponse(req, 481, 'Call/Transaction Does Not Exist'));
        return;
      }
      tx.respond(this.makeResponse(req, 200, 'OK'));
      if (!invite.finished) invite.onCancel?.();
      if (!invite.finished) invite.respond(this.makeResponse(invite.request, 487, 'Request Terminated'));
      return;
    }
    const refusal = this.precheck(req);
    if (refusal) {
      tx.respond(refusal);
      return;
    }
    if (req.headers.to.params.tag !== undefined) {
      if (!this.dispatchInDialog(req, tx)) tx.respond(this.makeResponse(req, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    switch (req.method) {
      case 'OPTIONS':
        // PBX qualify pings and capability queries (§11.2).
        tx.respond(
          this.makeResponse(req, 200, 'OK', {
            other: { allow: [ALLOWED_METHODS.join(', ')], accept: ['application/sdp'], 'accept-language': ['en'] },
          }),
        );
        return;
      case 'INVITE':
        this.onIncomingInvite(req, tx, source);
        return;
      case 'BYE':
        tx.respond(this.makeResponse(req, 481, 'Call/Transaction Does Not Exist'));
        return;
      default:
        tx.respond(this.makeResponse(req, 405, 'Method Not Allowed', { other: { allow: [ALLOWED_METHODS.join(', ')] } }));
    }
  }

  // The checks of §8.2.1–§8.2.3 that need no application.
  private precheck(req: SipRequest): SipResponse | undefined {
    if (!KNOWN_METHODS.has(req.method)) {
      return this.makeResponse(req, 501, 'Not Implemented', { other: { allow: [ALLOWED_METHODS.join(', ')] } });
    }
    if (!/^sips?:/i.test(req.uri)) return this.makeResponse(req, 416, 'Unsupported URI Scheme');
    // §8.2.2.3: every option-tag in Require must be one we support (session timers, RFC 4028).
    const unsupported = (req.headers.other.require ?? [])
      .flatMap((v) => v.split(','))
      .map((t) => t.trim())
      .filter((t) => t !== '' && !SUPPORTED_EXTENSIONS.includes(t.toLowerCase()));
    if (unsupported.length && req.method !== 'ACK') {
      return this.makeResponse(req, 420, 'Bad Extension', { other: { unsupported: [unsupported.join(', ')] } });
    }
    return undefined;
  }

  private dispatchInDialog(req: SipRequest, tx: ServerTransaction | undefined): boolean {
    for (const o of this.dialogOwners) if (o.onInDialogRequest(req, tx)) return true;
    return false;
  }

  // §18.2.2: where responses to a request go.
  private responseDestination(req: SipRequest, source: Endpoint): Endpoint {
    if (source.protocol !== 'UDP') return source; // same connection
    const via = req.headers.via[0]!;
    if (via.params.rport) return source;
    return { protocol: 'UDP', address: String(via.params.received ?? via.host), port: via.port ?? 5060 };
  }

  /** Ends every transaction (shutdown). */
  close(): void {
    for (const tx of [...this.clients.values()]) tx.terminate();
    for (const tx of [...this.servers.values()]) tx.terminate();
  }

  /** Open transactions, for leak checks. */
  get transactionCount(): number {
    return this.clients.size + this.servers.size;
  }
}
