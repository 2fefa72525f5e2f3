// The wire text's shared vocabulary: tokens, header names and their compact
// forms, line folding, and where a header section starts and ends. Used by the
// parser, the header scanner, the serializer and the salvage of unparsable requests.

/** Largest header section accepted, in bytes. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Largest CSeq number and Expires value (RFC 3261 §8.1.1.5, §20.19). */
export const UINT32_MAX = 2 ** 32 - 1;

/** Where the header section of a message ends: index of the CRLFCRLF, or -1. */
export function findHeaderEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

// RFC 3261 §7.5: leading CRLFs before a message (keep-alives) are ignored.
/** Offset of the first byte after any leading CRLFs. */
export function skipLeadingCrlf(buf: Buffer): number {
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  return start;
}

/** The characters of an RFC 3261 §25.1 token, as a regex character-class body. */
export const TOKEN_CHARS = "A-Za-z0-9\\-.!%*_+`'~";
/** A whole string that is one token. */
export const TOKEN_RE = new RegExp(`^[${TOKEN_CHARS}]+$`);
/** A string that starts with a URI scheme and its colon. */
export const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Quotes (and shortens to `max`) wire text for a one-line error message. */
export function quoteForError(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? s.slice(0, max) + '…' : s);
}

// RFC 3261 §7.3.3 compact forms, plus the ones registered since.
const COMPACT: Record<string, string> = {
  a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition', e: 'content-encoding',
  f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported', l: 'content-length', m: 'contact',
  n: 'identity-info', o: 'event', r: 'refer-to', s: 'subject', t: 'to', u: 'allow-events', v: 'via',
  x: 'session-expires', y: 'identity',
};

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * RFC 3261 §7.3.1: a line fold (whitespace, CRLF, whitespace) is one SP; the
 * value is returned without surrounding whitespace. `bareLf` also unfolds LF
 * alone (lenient reading). Written as a loop: the obvious regexes backtrack
 * quadratically on long runs of whitespace.
 */
export function unfold(v: string, bareLf: boolean): string {
  let out = '';
  let from = 0;
  for (;;) {
    let nl = v.indexOf('\n', from);
    while (nl >= 0 && v.charCodeAt(nl - 1) !== 0x0d && !bareLf) nl = v.indexOf('\n', nl + 1);
    if (nl < 0 || !isWs(v.charCodeAt(nl + 1))) {
      if (nl < 0) break;
      out += v.slice(from, nl + 1);
      from = nl + 1;
      continue;
    }
    let cut = v.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    while (cut > from && isWs(v.charCodeAt(cut - 1))) cut--;
    let next = nl + 1;
    while (isWs(v.charCodeAt(next))) next++;
    out += v.slice(from, cut) + ' ';
    from = next;
  }
  out += v.slice(from);
  let a = 0;
  let b = out.length;
  while (a < b && isWs(out.charCodeAt(a))) a++;
  while (b > a && isWs(out.charCodeAt(b - 1))) b--;
  return out.slice(a, b);
}

/** Expands a compact header name (lower case); other names are returned as is. */
export function compactToFull(name: string): string {
  return (Object.hasOwn(COMPACT, name) ? COMPACT[name] : undefined) ?? name;
}

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
};
/** A lower-case header name in its usual wire spelling (Call-ID, CSeq, Content-Type). */
export function canonicalName(n: string): string {
  return (Object.hasOwn(CANONICAL, n) ? CANONICAL[n] : undefined) ?? n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}
/** A header name as shown in error messages. */
export const displayName = canonicalName;
