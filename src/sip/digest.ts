// HTTP Digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616,
// RFC 8760): choose a challenge, compute the credentials, and keep the state a
// client needs to reuse a nonce and to tell a stale nonce from a wrong password.
// Pure computation: no I/O, randomness only for the cnonce (injectable).
import { createHash, randomBytes } from 'node:crypto';
import type { Authenticator, ChallengeAnswer } from './authenticator.ts';
import type { AuthHeader, SipResponse } from './message.ts';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
export type Qop = 'auth' | 'auth-int';

/** A usable Digest challenge from a WWW-Authenticate or Proxy-Authenticate header. */
export interface Challenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** The algorithm token as the server wrote it, echoed back; absent when the challenge had none (MD5). */
  algorithmToken?: string;
  opaque?: string;
  /** The qop options offered that we support, in the server's order; empty when none was offered (RFC 2069 mode). */
  qop: Qop[];
  stale: boolean;
  /** RFC 7616 §3.4.4: the server wants the username hashed. */
  userhash: boolean;
}

interface AlgorithmInfo {
  name: DigestAlgorithm;
  hash: string;
  strength: number;
  session: boolean;
}

// RFC 8760 §2.1 / RFC 7616 §6.1: the algorithms SIP digest may use.
const ALGORITHMS: AlgorithmInfo[] = [
  { name: 'MD5', hash: 'md5', strength: 1, session: false },
  { name: 'MD5-sess', hash: 'md5', strength: 1, session: true },
  { name: 'SHA-256', hash: 'sha256', strength: 2, session: false },
  { name: 'SHA-256-sess', hash: 'sha256', strength: 2, session: true },
  { name: 'SHA-512-256', hash: 'sha512-256', strength: 3, session: false },
  { name: 'SHA-512-256-sess', hash: 'sha512-256', strength: 3, session: true },
];

function algorithmInfo(name: DigestAlgorithm): AlgorithmInfo {
  return ALGORITHMS.find((a) => a.name === name)!;
}

function describe(h: AuthHeader): string {
  const alg = h.params.algorithm;
  return alg !== undefined ? `${h.scheme} algorithm=${alg}` : h.scheme;
}

/** Reads one challenge; a string says why it is not usable. */
export function readChallenge(h: AuthHeader): Challenge | string {
  if (h.scheme.toLowerCase() !== 'digest') return `scheme ${h.scheme} is not Digest`;
  const p = h.params;
  if (p.realm === undefined) return 'challenge without realm';
  if (p.nonce === undefined || p.nonce === '') return 'challenge without nonce';
  const token = p.algorithm;
  const info = token === undefined ? ALGORITHMS[0] : ALGORITHMS.find((a) => a.name.toLowerCase() === token.toLowerCase());
  if (!info) return `unsupported algorithm ${token}`;
  let qop: Qop[] = [];
  if (p.qop !== undefined) {
    const offered = p.qop.split(',').map((q) => q.trim().toLowerCase());
    qop = offered.filter((q): q is Qop => q === 'auth' || q === 'auth-int');
    if (qop.length === 0) return `unsupported qop ${p.qop}`;
  }
  // A -sess algorithm needs a cnonce, and a cnonce is only sent with qop (RFC 2617 §3.2.2).
  if (info.session && qop.length === 0) return `${info.name} without qop`;
  const c: Challenge = {
    realm: p.realm,
    nonce: p.nonce,
    algorithm: info.name,
    qop,
    stale: p.stale?.toLowerCase() === 'true',
    userhash: p.userhash?.toLowerCase() === 'true',
  };
  if (token !== undefined) c.algorithmToken = token;
  if (p.opaque !== undefined) c.opaque = p.opaque;
  return c;
}

/**
 * Chooses among the challenges of one 401/407 the one with the strongest
 * supported algorithm (SHA-512-256 > SHA-256 > MD5); among equals the first,
 * which RFC 8760 §2.4 makes the server's preference. Other schemes and unknown
 * algorithms are skipped. Ranking by strength rather than only by order keeps
 * a reordered list from talking us down to MD5.
 */
export function pickChallenge(challenges: AuthHeader[]): Challenge | { error: string } {
  let best: Challenge | undefined;
  for (const h of challenges) {
    const c = readChallenge(h);
    if (typeof c === 'string') continue;
    if (!best || algorithmInfo(c.algorithm).strength > algorithmInfo(best.algorithm).strength) best = c;
  }
  if (best) return best;
  const offered = challenges.length ? challenges.map(describe).join(', ') : 'none';
  return { error: `no supported digest challenge (offered: ${offered})` };
}

export interface AuthorizeOptions {
  challenge: Challenge;
  method: string;
  /** The digest-uri: the Request-URI of the request being authorized (RFC 3261 §22.4). */
  uri: string;
  username: string;
  password: string;
  /** The message body, hashed for qop=auth-int. */
  body?: Buffer;
  cnonce?: string;
  /** Nonce count, 1 for the first request with this nonce. */
  nc?: number;
  /** Force a qop among those offered; by default auth, else auth-int. */
  qop?: Qop;
}

function hasher(alg: DigestAlgorithm): (data: string | Buffer) => string {
  const name = algorithmInfo(alg).hash;
  return (data) => createHash(name).update(data).digest('hex');
}

function chooseQop(c: Challenge, wanted?: Qop): Qop | undefined {
  if (wanted !== undefined && c.qop.includes(wanted)) return wanted;
  if (c.qop.includes('auth')) return 'auth';
  return c.qop[0];
}

/**
 * Computes the Authorization / Proxy-Authorization value answering `challenge`
 * (RFC 7616 §3.4, RFC 2617 §3.2.2; without qop the RFC 2069 form). nc,
 * algorithm and qop are tokens when formatted; opaque and the algorithm are
 * echoed as offered.
 */
export function authorize(opts: AuthorizeOptions): AuthHeader {
  const c = opts.challenge;
  const H = hasher(c.algorithm);
  const qop = chooseQop(c, opts.qop);
  const nc = opts.nc ?? 1;
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new RangeError(`nonce count ${nc} out of range`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const cnonce = opts.cnonce ?? randomBytes(16).toString('hex');

  // RFC 7616 §3.4.2: A1, and for the -sess variants its hash with the nonces.
  let ha1 = H(`${opts.username}:${c.realm}:${opts.password}`);
  if (algorithmInfo(c.algorithm).session) ha1 = H(`${ha1}:${c.nonce}:${cnonce}`);
  // §3.4.3: A2; auth-int adds the hash of the body.
  const ha2 = H(qop === 'auth-int' ? `${opts.method}:${opts.uri}:${H(opts.body ?? Buffer.alloc(0))}` : `${opts.method}:${opts.uri}`);
  const response = qop ? H(`${ha1}:${c.nonce}:${ncHex}:${cnonce}:${qop}:${ha2}`) : H(`${ha1}:${c.nonce}:${ha2}`);

  const params: Record<string, string> = {
    // §3.4.4: with userhash the username travels as H(username:realm).
    username: c.userhash ? H(`${opts.username}:${c.realm}`) : opts.username,
    realm: c.realm,
    nonce: c.nonce,
    uri: opts.uri,
    response,
  };
  if (c.algorithmToken !== undefined) params.algorithm = c.algorithmToken;
  if (qop) params.cnonce = cnonce;
  if (c.opaque !== undefined) params.opaque = c.opaque;
  if (qop) {
    params.qop = qop;
    params.nc = ncHex;
  }
  if (c.userhash) params.userhash = 'true';
  return { scheme: 'Digest', params };
}

/** The challenges of a 401 or 407 and the header to answer them in; an error for anything else. */
export function challengesOf(res: SipResponse): { proxy: boolean; challenges: AuthHeader[] } | { error: string } {
  if (res.status !== 401 && res.status !== 407) return { error: `${res.status} is not an authentication challenge` };
  const proxy = res.status === 407;
  const challenges = (proxy ? res.headers.proxyAuthenticate : res.headers.wwwAuthenticate) ?? [];
  if (challenges.length === 0) {
    return { error: `${res.status} response without a ${proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate'} header` };
  }
  return { proxy, challenges };
}

export interface DigestCredentials {
  username: string;
  password: string;
}

/** What to do with a challenge: send `header` (fresh or after a stale nonce), or give up. */
export type DigestOutcome =
  | { kind: 'fresh' | 'stale'; header: AuthHeader; proxy: boolean; challenge: Challenge }
  | { kind: 'rejected' | 'error'; error: string };

/** Which request/response a challenge came in: lets "the answer to our answer" be recognised. */
export interface Exchange {
  callId: string;
  /** CSeq number of the challenged request. */
  cseq: number;
}

interface Answered {
  realm: string;
  stale: boolean;
  cseq?: number;
}

interface NonceState {
  challenge: Challenge;
  proxy: boolean;
  nc: number;
  cnonce: string;
}

/** Where a method was last challenged: the realm, and whether a proxy (407) or the UAS (401) asked. */
interface Asker {
  realm: string;
  proxy: boolean;
}

const MAX_TRACKED_CALLS = 32;

/**
 * Digest state of one account. A challenge that answers our own answer to a
 * non-stale challenge of the same realm means the credentials were rejected;
 * stale=true is retried once with the new nonce (RFC 7616 §3.3).
 *
 * The last challenge of each realm is kept (nonce, opaque, algorithm, qop), so
 * a later request to the same server can carry credentials before it is
 * challenged (RFC 3261 §22.3), with the next nonce count (RFC 7616 §3.4): the
 * door's INVITE then needs no 407 round trip. A challenge to such a request is
 * answered as a fresh one, so a stale or replaced nonce costs one retry, never
 * a loop. Several servers (the registrar, a phone called directly) are kept
 * apart by a `server` key, so one never sees credentials meant for another.
 */
export class DigestClient implements Authenticator {
  /** By server and realm. */
  private readonly nonces = new Map<string, NonceState>();
  /** By server and method: who challenged that method last. */
  private readonly askers = new Map<string, Asker>();
  /** The nonce last answered or reused, for reuse(). */
  private latest: NonceState | undefined;
  private last: Answered | undefined;
  private readonly byCall = new Map<string, Answered>();

  constructor(
    private readonly credentials: DigestCredentials,
    private readonly newCnonce: () => string = () => randomBytes(16).toString('hex'),
  ) {}

  /**
   * Answers the challenges of one 401/407. With `exchange` (Call-ID and CSeq of
   * the challenged request) a challenge counts as a rejection only when it is
   * the response to the request that carried our previous answer (CSeq one
   * higher, as RFC 3261 §22.2 retries); without it, when it directly follows
   * our previous answer (call accepted() when a request with credentials
   * succeeds). `server` names the server that challenged (default: the
   * account's own registrar/proxy).
   */
  onChallenge(
    challenges: AuthHeader[],
    method: string,
    uri: string,
    opts: { body?: Buffer; proxy?: boolean; exchange?: Exchange; server?: string } = {},
  ): DigestOutcome {
    const c = pickChallenge(challenges);
    if ('error' in c) return { kind: 'error', error: c.error };
    const ex = opts.exchange;
    let prev: Answered | undefined;
    if (ex) {
      const r = this.byCall.get(ex.callId);
      if (r && r.cseq !== undefined && ex.cseq === r.cseq + 1) prev = r;
    } else {
      prev = this.last;
    }
    if (prev && prev.realm === c.realm) {
      if (!c.stale) return { kind: 'rejected', error: `credentials rejected for realm "${c.realm}"` };
      if (prev.stale) return { kind: 'error', error: `realm "${c.realm}" still says the nonce is stale after a retry` };
    }

    const proxy = opts.proxy ?? false;
    const server = opts.server ?? '';
    const key = `${server}\n${c.realm}`;
    const known = this.nonces.get(key);
    // The same nonce again (from a 401 or a 407 alike) continues its count.
    const state: NonceState =
      known && known.challenge.nonce === c.nonce ? { ...known, challenge: c, proxy, nc: known.nc + 1 } : { challenge: c, proxy, nc: 1, cnonce: this.newCnonce() };
    this.nonces.set(key, state);
    this.askers.set(`${server}\n${method}`, { realm: c.realm, proxy });
    this.latest = state;
    const header = this.sign(state, method, uri, opts.body);

    const answered: Answered = { realm: c.realm, stale: c.stale };
    this.last = answered;
    if (ex) {
      this.byCall.delete(ex.callId);
      this.byCall.set(ex.callId, { ...answered, cseq: ex.cseq });
      if (this.byCall.size > MAX_TRACKED_CALLS) this.byCall.delete(this.byCall.keys().next().value!);
    }
    return { kind: c.stale ? 'stale' : 'fresh', header, proxy, challenge: c };
  }

  /** Authenticator: answers the 401/407 `res` for the request about to be re-sent. */
  answer(res: SipResponse, method: string, uri: string, body?: Buffer, server?: string): ChallengeAnswer {
    const found = challengesOf(res);
    if ('error' in found) return { ok: false, rejected: false, error: found.error };
    const opts: { body?: Buffer; proxy: boolean; exchange: Exchange; server?: string } = {
      proxy: found.proxy,
      exchange: { callId: res.headers.callId, cseq: res.headers.cseq.seq },
    };
    if (body) opts.body = body;
    if (server !== undefined) opts.server = server;
    const out = this.onChallenge(found.challenges, method, uri, opts);
    if ('error' in out) return { ok: false, rejected: out.kind === 'rejected', error: out.error };
    return { ok: true, header: out.header, proxy: out.proxy };
  }

  /**
   * Authenticator: credentials for a new request before any challenge (RFC
   * 3261 §22.3), once `method` has been challenged by `server`: the realm's
   * last nonce with the next nc, in the header that server asked for. Undefined
   * when nothing is known yet or the count is used up.
   */
  preempt(method: string, uri: string, body?: Buffer, server?: string): { header: AuthHeader; proxy: boolean } | undefined {
    const asker = this.askers.get(`${server ?? ''}\n${method}`);
    const s = asker && this.nonces.get(`${server ?? ''}\n${asker.realm}`);
    if (!asker || !s) return undefined;
    return this.next(s, method, uri, body, asker.proxy);
  }

  /** Credentials for a new request with the last nonce and the next nc (e.g. a re-REGISTER), or undefined before any challenge. */
  reuse(method: string, uri: string, body?: Buffer): { header: AuthHeader; proxy: boolean } | undefined {
    const s = this.latest;
    return s && this.next(s, method, uri, body, s.proxy);
  }

  /** The last credentials were accepted: a later challenge is a fresh one. */
  accepted(): void {
    this.last = undefined;
  }

  /** Forgets every nonce and all history (new account data, or a new registrar). */
  reset(): void {
    this.nonces.clear();
    this.askers.clear();
    this.latest = undefined;
    this.last = undefined;
    this.byCall.clear();
  }

  private next(s: NonceState, method: string, uri: string, body: Buffer | undefined, proxy: boolean): { header: AuthHeader; proxy: boolean } | undefined {
    if (s.nc >= 0xffffffff) return undefined;
    s.nc++;
    // A challenge to this request is a first one, not the rejection of an answer.
    this.last = undefined;
    return { header: this.sign(s, method, uri, body), proxy };
  }

  private sign(s: NonceState, method: string, uri: string, body?: Buffer): AuthHeader {
    const opts: AuthorizeOptions = { challenge: s.challenge, method, uri, ...this.credentials, cnonce: s.cnonce, nc: s.nc };
    if (body) opts.body = body;
    return authorize(opts);
  }
}
