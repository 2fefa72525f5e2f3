// Answering what could not be parsed: reading, leniently, the few headers a
// stateless 400/505 needs from bytes parseMessage rejected, and formatting it.
import type { Via } from './message-types.ts';
import { compactToFull, findHeaderEnd, MAX_HEADER_BYTES, skipLeadingCrlf, TOKEN_CHARS, unfold } from './message-text.ts';
import { parseVias } from './header-scanner.ts';

/** Raw header values of a request that failed to parse: enough to answer it (RFC 3261 §8.2.6.2). */
export interface ReplyHeaders {
  /** The method as written on the Request-Line. */
  method: string;
  /** Every Via value as written, in order (each may hold several comma-separated vias). */
  via: string[];
  /** The top Via parsed, when it parses: where a response goes (RFC 3261 §18.2.2). */
  topVia?: Via;
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
}

/**
 * Leniently reads what a response to a request needs from bytes that
 * parseMessage rejected. Undefined for responses (never answered) and for
 * bytes that do not start like a request.
 */
export function salvageReplyHeaders(buf: Buffer): ReplyHeaders | undefined {
  const start = skipLeadingCrlf(buf);
  let end = findHeaderEnd(buf, start);
  if (end < 0) end = buf.length;
  const text = buf.subarray(start, Math.min(end, start + MAX_HEADER_BYTES)).toString('utf8');
  const lines = text.split(/\r?\n(?![ \t])/);
  const m = new RegExp(`^([${TOKEN_CHARS}]+)[ \\t]`).exec(lines[0] ?? '');
  if (!m) return undefined;
  const out: ReplyHeaders = { method: m[1]!, via: [] };
  for (let i = 1; i < lines.length; i++) {
    const hm = /^([^:\s]+)[ \t]*:([\s\S]*)$/.exec(lines[i]!);
    if (!hm) continue;
    let name = hm[1]!.toLowerCase();
    name = compactToFull(name);
    const value = unfold(hm[2]!, true);
    if (value === '' || /[\r\n\0]/.test(value)) continue;
    if (name === 'via') out.via.push(value);
    else if (name === 'from') out.from ??= value;
    else if (name === 'to') out.to ??= value;
    else if (name === 'call-id') out.callId ??= value;
    else if (name === 'cseq') out.cseq ??= value;
  }
  const top = out.via[0];
  if (top !== undefined) {
    try {
      const v = parseVias(top)[0];
      if (v) out.topVia = v;
    } catch {
      // No routable top Via: the caller answers to the source address or not at all.
    }
  }
  return out;
}

/**
 * Builds a stateless response (e.g. 400, 505) to a request that failed to parse,
 * copying Via, From, To, Call-ID and CSeq as received (RFC 3261 §8.2.6.2) and
 * adding `toTag` when To has none. Undefined when there is nothing to answer:
 * an ACK (RFC 3261 §17.2.1) or no Via.
 */
export function formatReplyToUnparsable(h: ReplyHeaders, status: number, reason: string, toTag?: string): Buffer | undefined {
  if (h.method === 'ACK' || h.via.length === 0) return undefined;
  const lines = [`SIP/2.0 ${status} ${reason.replace(/[\r\n\0]+/g, ' ').slice(0, 200)}`];
  for (const v of h.via) lines.push(`Via: ${v}`);
  if (h.from !== undefined) lines.push(`From: ${h.from}`);
  if (h.to !== undefined) {
    const tagged = /;[ \t]*tag[ \t]*=/i.test(h.to);
    lines.push(`To: ${h.to}${!tagged && toTag ? `;tag=${toTag}` : ''}`);
  }
  if (h.callId !== undefined) lines.push(`Call-ID: ${h.callId}`);
  if (h.cseq !== undefined) lines.push(`CSeq: ${h.cseq}`);
  lines.push('Content-Length: 0');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');
}
