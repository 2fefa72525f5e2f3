// Registration with the household's SIP server (RFC 3261 §10): register,
// answer digest challenges, refresh well before the granted expiry, honour
// 423 Min-Expires, back off after failures, and unregister on stop.
import type { NameAddr, SipResponse } from './message.ts';
import { learnedAddress } from './nat-learn.ts';
import type { TimerHandle } from './clock.ts';
import { newCallId, newTag } from './ids.ts';
import type { ClientOutcome } from './transaction.ts';
import type { Authenticator } from './authenticator.ts';
import { AUTH_BACKOFF, FAILURE_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.ts';
import { ALLOWED_METHODS, type UaLog, type UserAgent } from './user-agent.ts';
import { attachCredentials } from './dialog-support.ts';

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'unregistering' | 'stopped';

export interface RegistrationStatus {
  state: RegistrationState;
  registered: boolean;
  lastError?: string;
  /** Attempts that failed since this registration began (it only grows; retries count). */
  failures: number;
  /** Wall-clock time the binding expires (ISO), while registered. */
  expiresAt?: string;
  /** Seconds the server granted. */
  expires?: number;
}

export interface RegistrationOptions {
  /** Expiry we ask for, in seconds. */
  expires: number;
  auth: Authenticator;
  log: UaLog;
  onChange?: (status: RegistrationStatus) => void;
  /** A REGISTER timed out or could not be sent: the server looks unreachable. */
  onUnreachable?: (reason: string) => void;
  /** Wall clock for expiresAt only (injected for tests). */
  wallClock?: () => number;
  random?: () => number;
}

/** When to refresh a binding of `granted` seconds: at 90%, but at least 30 s early when it can be (ms). */
export function refreshDelayMs(granted: number): number {
  const early = Math.min(granted * 0.9, granted - 30);
  return Math.max(granted * 0.5, early) * 1000;
}

export class Registration {
  private state: RegistrationState = 'idle';
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private expires: number;
  private timer?: TimerHandle;
  private failures = 0;
  private failedAttempts = 0;
  private authTries = 0;
  private intervalTries = 0;
  /** Times the public address changed; a bound against a NAT that answers differently each time. */
  private natMoves = 0;
  /** Bindings to remove with the next REGISTER (a Contact the NAT made useless). */
  private dropContacts: NameAddr[] = [];
  private lastError?: string;
  private granted?: number;
  private expiresAtMs?: number;
  private stopWaiter?: () => void;

  constructor(
    private readonly ua: UserAgent,
    private readonly opts: RegistrationOptions,
  ) {
    this.expires = opts.expires;
    this.callId = newCallId(ua.identity.domain);
  }

  get status(): RegistrationStatus {
    const s: RegistrationStatus = { state: this.state, registered: this.state === 'registered', failures: this.failedAttempts };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.state === 'registered' && this.expiresAtMs !== undefined) {
      s.expiresAt = new Date(this.expiresAtMs).toISOString();
      s.expires = this.granted;
    }
    return s;
  }

  /** Starts registering; failures are retried on their own. */
  start(): void {
    if (this.state !== 'idle') return;
    this.setState('registering');
    this.send(this.expires);
  }

  /**
   * The server answers again after an outage: register now rather than when
   * the back-off ends, and renew a binding a restarted server may have lost.
   */
  retryNow(): void {
    if (this.state !== 'failed' && this.state !== 'registered') return;
    this.ua.timers.clear(this.timer);
    this.failures = 0;
    this.authTries = 0;
    this.opts.log.info('registration.retry-now', { was: this.state });
    this.setState(this.state === 'failed' ? 'registering' : 'registered');
    this.send(this.expires);
  }

  /** Unregisters (Expires: 0) if registered, waiting at most timeoutMs for the server's answer. */
  stop(timeoutMs = 4000): Promise<void> {
    this.ua.timers.clear(this.timer);
    const wasBound = this.state === 'registered' || this.state === 'registering';
    if (!wasBound || this.state === 'stopped') {
      this.setState('stopped');
      return Promise.resolve();
    }
    this.setState('unregistering');
    this.authTries = 0;
    return new Promise<void>((resolve) => {
      const guard = this.ua.timers.set(timeoutMs, () => done());
      const done = () => {
        this.ua.timers.clear(guard);
        this.stopWaiter = undefined;
        this.setState('stopped');
        resolve();
      };
      this.stopWaiter = done;
      this.send(0);
    });
  }

  private setState(s: RegistrationState): void {
    if (this.state === s && s !== 'registered') return;
    this.state = s;
    this.opts.onChange?.(this.status);
  }

  private send(expires: number, authHeader?: import('./message.ts').AuthHeader, proxy = false): void {
    const ua = this.ua;
    const aor = `sip:${ua.identity.user}@${ua.identity.domain}`;
    const uri = `sip:${ua.identity.domain}`;
    const req = ua.buildRequest({
      method: 'REGISTER',
      uri,
      from: ua.fromHeader(this.fromTag),
      to: { uri: aor, params: {} },
      callId: this.callId,
      cseq: ++this.cseq,
      contact: expires === 0 ? [ua.contact()] : [ua.contact(), ...this.dropContacts],
      expires,
      other: { allow: [ALLOWED_METHODS.join(', ')] },
    });
    if (authHeader) attachCredentials(req, { header: authHeader, proxy });
    ua.sendRequest(req, (o) => this.onOutcome(o, expires));
  }

  private onOutcome(o: ClientOutcome, expires: number): void {
    if (this.state === 'stopped') return;
    const unregistering = this.state === 'unregistering';
    if (o.kind === 'timeout' || o.kind === 'transport-error') {
      const reason = o.kind === 'timeout' ? 'no answer from the server (timeout)' : `cannot reach the server: ${o.reason}`;
      this.fail(reason, FAILURE_BACKOFF);
      if (!unregistering) this.opts.onUnreachable?.(reason);
      return;
    }
    const res = o.response;
    if (res.status < 200) return;
    if (res.status === 401 || res.status === 407) {
      const a = this.opts.auth.answer(res, 'REGISTER', `sip:${this.ua.identity.domain}`);
      if (!a.ok) return this.fail(a.rejected ? 'authentication failed (check sip.user and sip.password)' : a.error, AUTH_BACKOFF);
      this.opts.log.debug('registration.challenged', { status: res.status, realm: a.header.params.realm, algorithm: a.header.params.algorithm ?? 'MD5' });
      // Two challenges in a row that are not stale mean the password is wrong.
      if (++this.authTries > 2) return this.fail('authentication failed (check sip.user and sip.password)', AUTH_BACKOFF);
      return this.send(expires, a.header, a.proxy);
    }
    this.authTries = 0;
    if (res.status === 423 && !unregistering) {
      // §10.2.8: the server wants a longer interval.
      const min = Number(res.headers.other['min-expires']?.[0]);
      if (Number.isInteger(min) && min > this.expires && ++this.intervalTries <= 3) {
        this.ua.timers.clear(this.timer);
        this.expires = min;
        this.opts.log.info('registration.min-expires', { expires: min });
        return this.send(min);
      }
      return this.fail(`423 Interval Too Brief without a usable Min-Expires`, FAILURE_BACKOFF);
    }
    if (res.status >= 200 && res.status < 300) {
      this.intervalTries = 0;
      if (unregistering) {
        this.opts.log.info('unregistered', {});
        this.stopWaiter?.();
        return;
      }
      return this.registered(res);
    }
    if (unregistering) {
      this.opts.log.warn('unregister.failed', { status: res.status, reason: res.reason });
      this.stopWaiter?.();
      return;
    }
    const retryAfter = Number(res.headers.other['retry-after']?.[0]?.split(/[;(\s]/)[0]);
    const cause = `${res.status} ${res.reason}`.trim();
    const policy: BackoffPolicy = res.status === 403 ? AUTH_BACKOFF : FAILURE_BACKOFF;
    this.fail(cause, policy, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 3600) * 1000 : undefined);
  }

  // §10.2.4: the granted expiry is our Contact's expires parameter, else the Expires header.
  private grantedExpiry(res: SipResponse): number {
    const ours = this.ua.contact().uri;
    const contacts = res.headers.contact === '*' ? [] : (res.headers.contact ?? []);
    const match = contacts.find((c) => c.uri === ours) ?? (contacts.length === 1 ? contacts[0] : undefined);
    const fromParam = Number(match?.params.expires);
    if (Number.isFinite(fromParam) && fromParam > 0) return fromParam;
    if (res.headers.expires !== undefined && res.headers.expires > 0) return res.headers.expires;
    return this.expires;
  }

  private registered(res: SipResponse): void {
    if (this.followNat(res)) return;
    this.natMoves = 0;
    this.dropContacts = [];
    const granted = this.grantedExpiry(res);
    const wasRegistered = this.state === 'registered';
    this.failures = 0;
    this.lastError = undefined;
    this.granted = granted;
    this.expiresAtMs = (this.opts.wallClock ?? Date.now)() + granted * 1000;
    this.ua.timers.clear(this.timer);
    this.timer = this.ua.timers.set(refreshDelayMs(granted), () => {
      this.authTries = 0;
      this.send(this.expires);
    });
    if (wasRegistered) this.opts.log.debug('registration.refreshed', { expires: granted });
    else this.opts.log.info('registered', { expires: granted, aor: `sip:${this.ua.identity.user}@${this.ua.identity.domain}` });
    this.setState('registered');
  }

  // Over UDP behind a NAT, the Contact we registered is unreachable from the
  // server: register again at once with the address it saw, and drop the
  // old binding in the same request (RFC 3261 §10.2.2, expires=0).
  private followNat(res: SipResponse): boolean {
    if (this.ua.identity.protocol !== 'UDP') return false;
    const seen = learnedAddress(res, this.ua.publicAddress ?? this.ua.transport.local('UDP'));
    if (!seen || ++this.natMoves > 3) return false;
    const old = this.ua.contact();
    this.ua.publicAddress = seen;
    this.opts.log.info('registration.public-address', { address: seen.address, port: seen.port });
    this.dropContacts = [{ ...old, params: { ...old.params, expires: '0' } }];
    this.send(this.expires);
    return true;
  }

  private fail(reason: string, policy: BackoffPolicy, delayOverride?: number): void {
    if (this.state === 'unregistering') {
      this.opts.log.warn('unregister.failed', { reason });
      this.stopWaiter?.();
      return;
    }
    this.failures++;
    this.failedAttempts++;
    this.authTries = 0;
    const delay = delayOverride ?? backoffDelay(policy, this.failures, (this.opts.random ?? Math.random)());
    const changed = this.lastError !== reason || this.state !== 'failed';
    this.lastError = reason;
    // One line per change of cause, not one per retry, so a dead server does not flood the journal.
    if (changed) this.opts.log.warn('registration.failed', { reason, retryInS: Math.round(delay / 1000) });
    else this.opts.log.debug('registration.retry', { reason, retryInS: Math.round(delay / 1000) });
    this.setState('failed');
    this.ua.timers.clear(this.timer);
    this.timer = this.ua.timers.set(delay, () => {
      this.setState('registering');
      this.send(this.expires);
    });
  }
}
