// The demonstration's registrar (RFC 3261 §10.3), reduced to what the demo
// needs to show: a REGISTER is challenged with Digest (RFC 8760: SHA-256
// preferred, MD5 offered too), the answer is checked by computing the
// expected response from the client's own cnonce and nonce count, and the
// binding is kept or removed. Pure: the caller passes requests in and sends
// the responses it gets back.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { authorize, readChallenge, type Qop } from '../sip/digest.ts';
import { parseSipUri, type AuthHeader, type NameAddr, type SipRequest, type SipResponse } from '../sip/message.ts';

/** Builds a response to a request (the UA core's makeResponse). */
export type ResponseMaker = (req: SipRequest, status: number, reason: string, extra?: Partial<SipResponse['headers']>) => SipResponse;

/** What happened to one REGISTER, for the demonstration's narration. */
export type RegistrarEvent =
  | { kind: 'challenged'; user: string; algorithms: string[] }
  | { kind: 'registered'; aor: string; contact: string; expires: number; algorithm: string }
  | { kind: 'unregistered'; aor: string; algorithm: string }
  | { kind: 'refused'; user: string; reason: string };

/** The registrar's realm, accounts, and how it builds responses. */
export interface DemoRegistrarOptions {
  realm: string;
  /** Accounts: user name -> password. */
  users: Record<string, string>;
  makeResponse: ResponseMaker;
  /** Longest binding granted, in seconds. */
  maxExpires?: number;
  newNonce?: () => string;
}

/** Algorithms offered, strongest first: RFC 8760 §2.4 lets the order state our preference. */
const OFFERED = ['SHA-256', 'MD5'] as const;

interface NonceState {
  /** Highest nonce count accepted so far: a repeat is a replay (RFC 7616 §3.4.5). */
  lastNc: number;
}

/** A registrar for the demonstration: digest-authenticated REGISTER, one binding per address-of-record. */
export class DemoRegistrar {
  private readonly nonces = new Map<string, NonceState>();
  private readonly bindings = new Map<string, { contact: NameAddr; expires: number }>();

  constructor(private readonly opts: DemoRegistrarOptions) {}

  /** The current binding of an address-of-record, if any. */
  binding(aor: string): { contact: string; expires: number } | undefined {
    const b = this.bindings.get(aor);
    return b && { contact: b.contact.uri, expires: b.expires };
  }

  /** Answers one REGISTER: 401 with a challenge, 200 with the bindings, or an error status. */
  handle(req: SipRequest): { response: SipResponse; event: RegistrarEvent } {
    const make = this.opts.makeResponse;
    const to = parseSipUri(req.headers.to.uri);
    const user = to?.user ?? '';
    const aor = `sip:${user}@${to?.host ?? ''}`;
    const password = this.opts.users[user];
    if (!to || password === undefined) {
      return { response: make(req, 404, 'Not Found'), event: { kind: 'refused', user, reason: `no account for ${req.headers.to.uri}` } };
    }
    const creds = (req.headers.authorization ?? []).find((a) => a.scheme.toLowerCase() === 'digest' && a.params.realm === this.opts.realm);
    if (!creds) return this.challenge(req, user);
    const problem = this.verify(req, creds, user, password);
    if (problem) {
      // A fresh challenge (not 403) lets the client tell "wrong password" from "stale".
      const c = this.challenge(req, user);
      return { response: c.response, event: { kind: 'refused', user, reason: problem } };
    }
    const algorithm = creds.params.algorithm ?? 'MD5';
    return this.bind(req, aor, algorithm);
  }

  private challenge(req: SipRequest, user: string): { response: SipResponse; event: RegistrarEvent } {
    const nonce = this.opts.newNonce?.() ?? randomBytes(16).toString('hex');
    this.nonces.set(nonce, { lastNc: 0 });
    const wwwAuthenticate: AuthHeader[] = OFFERED.map((algorithm) => ({
      scheme: 'Digest',
      params: { realm: this.opts.realm, nonce, algorithm, qop: 'auth' },
    }));
    return {
      response: this.opts.makeResponse(req, 401, 'Unauthorized', { wwwAuthenticate }),
      event: { kind: 'challenged', user, algorithms: [...OFFERED] },
    };
  }

  // RFC 7616 §3.4: recompute the response the client should have sent; undefined when it matches.
  private verify(req: SipRequest, creds: AuthHeader, user: string, password: string): string | undefined {
    const p = creds.params;
    if (p.username !== user) return `credentials for "${p.username ?? ''}" in a REGISTER for "${user}"`;
    const state = p.nonce === undefined ? undefined : this.nonces.get(p.nonce);
    if (!state || p.nonce === undefined) return 'a nonce this registrar never issued';
    const algorithm = p.algorithm ?? 'MD5';
    if (!OFFERED.some((a) => a.toLowerCase() === algorithm.toLowerCase())) return `algorithm ${algorithm} was not offered`;
    if (p.qop !== 'auth' || p.cnonce === undefined || p.nc === undefined) return 'qop=auth with cnonce and nc expected';
    // RFC 3261 §22.4: the digest-uri is the Request-URI of the request it authorizes.
    if (p.uri !== req.uri) return `digest uri ${p.uri ?? ''} is not the Request-URI ${req.uri}`;
    const nc = Number.parseInt(p.nc, 16);
    if (!(nc > state.lastNc)) return `nonce count ${p.nc} used before (a replay)`;
    const challenge = readChallenge({ scheme: 'Digest', params: { realm: this.opts.realm, nonce: p.nonce, algorithm, qop: 'auth' } });
    if (typeof challenge === 'string') return challenge;
    const qop: Qop = 'auth';
    const expected = authorize({ challenge, method: req.method, uri: p.uri, username: user, password, cnonce: p.cnonce, nc, qop }).params.response ?? '';
    const given = p.response ?? '';
    const same = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (!same) return 'wrong password (digest response does not match)';
    state.lastNc = nc;
    return undefined;
  }

  // §10.3 steps 6-8: add, refresh or remove the binding, and list what is bound.
  private bind(req: SipRequest, aor: string, algorithm: string): { response: SipResponse; event: RegistrarEvent } {
    const make = this.opts.makeResponse;
    const contacts = req.headers.contact;
    const headerExpires = req.headers.expires;
    if (contacts === '*' || contacts === undefined || contacts.length === 0) {
      // "Contact: *" with Expires: 0 removes every binding; no Contact just asks what is bound.
      if (contacts === '*') this.bindings.delete(aor);
      const event: RegistrarEvent = contacts === '*' ? { kind: 'unregistered', aor, algorithm } : this.bound(aor, algorithm);
      return { response: make(req, 200, 'OK', this.listing(aor)), event };
    }
    const first = contacts[0]!;
    const asked = Number(first.params.expires ?? headerExpires ?? 3600);
    const expires = Math.max(0, Math.min(Number.isFinite(asked) ? Math.floor(asked) : 3600, this.opts.maxExpires ?? 3600));
    if (expires === 0) {
      this.bindings.delete(aor);
      return { response: make(req, 200, 'OK', this.listing(aor)), event: { kind: 'unregistered', aor, algorithm } };
    }
    this.bindings.set(aor, { contact: { uri: first.uri, params: {} }, expires });
    return { response: make(req, 200, 'OK', this.listing(aor)), event: this.bound(aor, algorithm) };
  }

  private bound(aor: string, algorithm: string): RegistrarEvent {
    const b = this.bindings.get(aor);
    return b ? { kind: 'registered', aor, contact: b.contact.uri, expires: b.expires, algorithm } : { kind: 'unregistered', aor, algorithm };
  }

  // §10.3 step 8: the 200 lists every current binding with its expiry.
  private listing(aor: string): Partial<SipResponse['headers']> {
    const b = this.bindings.get(aor);
    return b ? { contact: [{ uri: b.contact.uri, params: { expires: String(b.expires) } }] } : {};
  }
}
