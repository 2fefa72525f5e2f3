// What registration and calls need from digest authentication: answer a
// 401/407, and tell a stale nonce (retry) from rejected credentials (stop).
import type { AuthHeader, SipResponse } from './message.ts';

export type ChallengeAnswer =
  | { ok: true; header: AuthHeader; proxy: boolean }
  | { ok: false; rejected: boolean; error: string };

export interface Authenticator {
  /**
   * Answers the challenge in a 401/407 for a request about to be re-sent.
   * `server` names who challenged when it is not the account's own
   * registrar/proxy (a phone called directly).
   */
  answer(res: SipResponse, method: string, uri: string, body?: Buffer, server?: string): ChallengeAnswer;
  /** Credentials to send with a new request before it is challenged (RFC 3261 §22.3), when the server's last challenge is known. */
  preempt?(method: string, uri: string, body?: Buffer, server?: string): { header: AuthHeader; proxy: boolean } | undefined;
}
