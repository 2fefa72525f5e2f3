// REFER inside a call (RFC 3515): the party we talk to asks us to call
// someone else (a transfer). We accept with 202, which creates an implicit
// subscription to the "refer" event; its NOTIFYs carry the progress of the new
// call as a message/sipfrag status line (§2.4.4-2.4.5), the first at once
// ("100 Trying"), the last, with the final status, ending the subscription.
import type { SipRequest } from './message.ts';
import type { ServerTransaction } from './transaction.ts';
import type { UserAgent } from './user-agent.ts';

/** The Refer-To URI of a REFER, or why it cannot be used. */
export function referTarget(req: SipRequest): { uri: string } | { error: string } {
  const values = req.headers.other['refer-to'] ?? [];
  // §2.4.1: exactly one Refer-To.
  if (values.length !== 1) return { error: values.length ? 'more than one Refer-To' : 'no Refer-To' };
  const raw = values[0]!.trim();
  const m = /^(?:"[^"]*"\s*|[^<"]*)?<([^>]+)>/.exec(raw) ?? /^([^;\s]+)/.exec(raw);
  const uri = m?.[1]?.trim() ?? '';
  // Only SIP targets: the door places SIP calls; embedded headers (?Replaces=...) are not supported.
  if (!/^sips?:[^?]+$/i.test(uri)) return { error: `unsupported Refer-To ${JSON.stringify(uri)}` };
  return { uri };
}

/** Reason phrases for the sipfrag status line. */
function phrase(status: number): string {
  const known: Record<number, string> = { 100: 'Trying', 180: 'Ringing', 200: 'OK', 404: 'Not Found', 480: 'Temporarily Unavailable', 486: 'Busy Here', 487: 'Request Terminated', 603: 'Decline' };
  return known[status] ?? (status < 200 ? 'Session Progress' : status < 300 ? 'OK' : 'Failed');
}

/** Sends an in-dialog request with the given extra headers and body; the call fills in the dialog. */
export type InDialogSender = (method: string, other: Record<string, string[]>, contentType: string, body: Buffer) => void;

/** The implicit subscription a REFER created: reports the new call's progress until a final status. */
export class ReferSubscription {
  private done = false;
  private lastStatus = 0;

  constructor(private readonly send: InDialogSender) {}

  /** Whether the final NOTIFY was sent. */
  get finished(): boolean {
    return this.done;
  }

  /** Sends a NOTIFY for `status` (1xx progress, or the final status which ends the subscription). */
  notify(status: number): void {
    if (this.done || (status < 200 && status === this.lastStatus)) return;
    this.lastStatus = status;
    const final = status >= 200;
    if (final) this.done = true;
    this.send(
      'NOTIFY',
      {
        event: ['refer'],
        // §2.4.5 and RFC 6665 §4.1.3: a final status ends the subscription.
        'subscription-state': [final ? 'terminated;reason=noresource' : 'active;expires=60'],
      },
      'message/sipfrag;version=2.0',
      Buffer.from(`SIP/2.0 ${status} ${phrase(status)}\r\n`),
    );
  }
}

/**
 * Answers a REFER: 202 and a subscription when `accept` takes the target,
 * else 400 (unusable Refer-To) or 603. Returns the subscription when accepted.
 */
export function answerRefer(
  ua: UserAgent,
  req: SipRequest,
  tx: ServerTransaction,
  accept: (uri: string) => boolean,
  send: InDialogSender,
): ReferSubscription | undefined {
  const t = referTarget(req);
  if ('error' in t) {
    tx.respond(ua.makeResponse(req, 400, `Bad Request (${t.error})`));
    return undefined;
  }
  if (!accept(t.uri)) {
    tx.respond(ua.makeResponse(req, 603, 'Decline'));
    return undefined;
  }
  tx.respond(ua.makeResponse(req, 202, 'Accepted'));
  const sub = new ReferSubscription(send);
  sub.notify(100);
  return sub;
}
