// Who may call the door. Incoming calls are refused unless enabled; when
// enabled, only from listed users AND only when the INVITE comes from the
// registrar's address. The From header is the caller's claim; the registrar
// authenticates its own users, so the source address is what makes the claim
// worth anything. An INVITE sent straight to the door from anywhere else (an
// internet scanner trying extensions) is refused before anything rings.
import { parseSipUri } from '../sip/message.ts';

/** The incoming-call rules, with the registrar's resolved address. */
export interface IncomingPolicy {
  enabled: boolean;
  /** Config entries: user parts ("101", matched in `domain`) or sip:/sips: URIs. */
  allow: string[];
  /** The door's SIP domain, for user-part entries. */
  domain: string;
  /** The registrar's IP address: the only source incoming calls are taken from. */
  registrar: string;
}

/** Why a call was refused, for logs and the event log. */
export type RefusalReason = 'disabled' | 'not-from-registrar' | 'not-allowed';

export type IncomingVerdict =
  | { accept: true; caller: string }
  | { accept: false; reason: RefusalReason; status: number; phrase: string };

interface Party {
  user: string;
  host: string;
}

function party(uri: string): Party | undefined {
  const u = parseSipUri(uri);
  if (!u || u.user === undefined) return undefined;
  return { user: u.user, host: u.host.toLowerCase() };
}

/** Decides on an INVITE outside a dialog from its From URI and the address it came from. */
export function judgeIncoming(policy: IncomingPolicy, fromUri: string, sourceAddress: string): IncomingVerdict {
  // Strangers learn nothing (403 says neither "disabled" nor "unknown user"); the registrar gets a precise answer.
  if (sourceAddress !== policy.registrar) return { accept: false, reason: 'not-from-registrar', status: 403, phrase: 'Forbidden' };
  if (!policy.enabled) return { accept: false, reason: 'disabled', status: 603, phrase: 'Decline' };
  const caller = party(fromUri);
  const domain = policy.domain.toLowerCase();
  const allowed =
    caller !== undefined &&
    policy.allow.some((entry) => {
      if (!/^sips?:/i.test(entry)) return caller.user === entry && caller.host === domain;
      const p = party(entry);
      return p !== undefined && p.user === caller.user && p.host === caller.host;
    });
  if (!allowed) return { accept: false, reason: 'not-allowed', status: 403, phrase: 'Forbidden' };
  return { accept: true, caller: fromUri };
}

/**
 * Turns refusals into few log lines: the first refusal from a source is logged,
 * later ones are only counted and reported once a minute, so a scanner sending
 * thousands of INVITEs costs a handful of lines.
 */
export class RefusalLog {
  private readonly seen = new Map<string, number>();
  private pending = 0;
  private lastReport = -Infinity;
  private total = 0;

  constructor(
    private readonly reportEveryMs = 60_000,
    private readonly maxSources = 1024,
  ) {}

  /** Counts one refusal; returns what to log now, if anything. */
  note(source: string, reason: RefusalReason, now: number): { event: 'incoming.refused' | 'incoming.refused-summary'; fields: Record<string, unknown> } | undefined {
    this.total++;
    if (!this.seen.has(source)) {
      if (this.seen.size >= this.maxSources) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(source, now);
      return { event: 'incoming.refused', fields: { from: source, reason } };
    }
    this.pending++;
    if (now - this.lastReport < this.reportEveryMs) return undefined;
    this.lastReport = now;
    const fields = { refused: this.pending, total: this.total, sources: this.seen.size };
    this.pending = 0;
    return { event: 'incoming.refused-summary', fields };
  }

  /** Refusals since start. */
  get count(): number {
    return this.total;
  }
}
