// What registration and calls need from digest authentication: answer a
// 401/407, and tell a stale nonce (retry) from rejected credentials (stop).
import type { AuthHeader, SipResponse } from './message.ts';

export type ChallengeAnswer =
  | { ok: true; header: AuthHeader; proxy: boolean }
  | { ok: false; rejected: boolean; error: string };

export interface Authenticator {
  /** Answers the challenge in a 401/407 for a request about to be re-sent. */
  answer(res: SipResponse, method: string, uri: string, body?: Buffer): ChallengeAnswer;
}
