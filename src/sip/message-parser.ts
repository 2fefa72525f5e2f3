// Bytes -> message: framing, the start line, the header lines, and the headers
// we interpret. What we replaced from the `sip` package, and why:
//  - framing: the package decodes the buffer as latin1 (UTF-8 display names and
//    reason phrases come out garbled) and frames on the first CRLFCRLF with a
//    regex; we frame the bytes ourselves, take the body by Content-Length in
//    bytes (RFC 3261 §18.3) and decode only the header section as UTF-8;
//  - the start line: the package unescapes the method, so `RE%47IST%45R` became
//    REGISTER (RFC 4475 §3.1.1.5 says it is an unknown method), and it accepts
//    any whitespace between the Request-Line elements (§3.1.2.8-10);
//  - header names: the package unescapes them too (`C%6Fntact` became Contact);
//  - structured headers: see header-scanner.ts.
import type { CSeq, NameAddr, ParseOptions, SipHeaders, SipMessage, Via } from './message-types.ts';
import { SipParseError } from './message-types.ts';
import { compactToFull, displayName, findHeaderEnd, MAX_HEADER_BYTES, quoteForError, SCHEME_RE, skipLeadingCrlf, TOKEN_CHARS, UINT32_MAX, unfold } from './message-text.ts';
import { checkNoBareNul, parseAuths, parseCallId, parseCSeq, parseNameAddrs, parseNumber, parseVias, setOwn } from './header-scanner.ts';
import { parseSipUri } from './sip-uri.ts';

interface Framed {
  headText: string;
  rest: Buffer;
}

function frame(buf: Buffer): Framed {
  const start = skipLeadingCrlf(buf);
  let end = findHeaderEnd(buf, start);
  let bodyStart = end + 4;
  if (end < 0) {
    // A datagram without the empty line (RFC 4475 baddn.dat, scanners): accept
    // it as headers only.
    end = buf.length;
    while (end > start && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
    bodyStart = buf.length;
  }
  if (end - start > MAX_HEADER_BYTES) throw new SipParseError(`header section larger than ${MAX_HEADER_BYTES} bytes`);
  if (end === start) throw new SipParseError('empty message');
  return { headText: buf.subarray(start, end).toString('utf8'), rest: buf.subarray(bodyStart) };
}

/**
 * Parses one complete message (a UDP datagram, or one framed from a stream).
 * The body is taken by Content-Length in bytes; bytes beyond it are ignored
 * (RFC 3261 §18.3); without Content-Length the body is the rest of the buffer.
 * Throws SipParseError (and nothing else) with a one-line reason.
 */
export function parseMessage(buf: Buffer, options: ParseOptions = {}): SipMessage {
  try {
    return parseFramed(frame(buf), options);
  } catch (e) {
    if (e instanceof SipParseError) throw e;
    // A bug here must not escape as anything but a parse error for this message.
    throw new SipParseError(`unparsable message (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parseFramed({ headText, rest }: Framed, options: ParseOptions): SipMessage {
  const lines = headText.split(/\r\n(?![ \t])/);
  const startLine = parseStartLine(lines[0] ?? '');
  const fields = splitFields(lines);
  const { headers, contentLength } = convertHeaders(fields);

  let body: Buffer;
  if (contentLength !== undefined) {
    if (contentLength > rest.length && !options.allowShortBody) {
      throw new SipParseError(`Content-Length ${contentLength} exceeds the ${rest.length} body bytes received`, 'content-length');
    }
    body = Buffer.from(rest.subarray(0, contentLength));
  } else {
    body = Buffer.from(rest);
  }

  if (startLine.kind === 'request') {
    // RFC 3261 §8.2.2.3 / RFC 4475 §3.1.2.15: the CSeq method must be the request's.
    if (headers.cseq.method !== startLine.method) {
      throw new SipParseError(`CSeq method ${quoteForError(headers.cseq.method, 30)} does not match request method ${quoteForError(startLine.method, 30)}`, 'cseq');
    }
    return { kind: 'request', method: startLine.method, uri: startLine.uri, headers, body };
  }
  return { kind: 'response', status: startLine.status, reason: startLine.reason, headers, body };
}

// --- start line ----------------------------------------------------------------

const REQUEST_LINE_RE = new RegExp(`^([${TOKEN_CHARS}]+) ([^ \\t]+) ([Ss][Ii][Pp]/(\\d+\\.\\d+))$`);
const STATUS_LINE_RE = /^[Ss][Ii][Pp]\/(\d+\.\d+) (\d+)(?: ([^\r\n]*))?$/;

type StartLine = { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

function checkVersion(version: string): void {
  if (version !== '2.0') throw new SipParseError(`unsupported SIP version ${quoteForError(version)}`, 'version', 505);
}

function parseStartLine(line: string): StartLine {
  if (/^SIP\//i.test(line)) {
    const m = STATUS_LINE_RE.exec(line);
    if (!m) throw new SipParseError(`malformed Status-Line ${quoteForError(line)}`, 'status-line');
    checkVersion(m[1]!);
    const code = m[2]!;
    if (code.length !== 3 || Number(code) < 100 || Number(code) > 699) {
      throw new SipParseError(`bad status code ${quoteForError(code, 20)}`, 'status-line');
    }
    return { kind: 'response', status: Number(code), reason: m[3] ?? '' };
  }
  // RFC 3261 §7.1: Method SP Request-URI SP SIP-Version, single spaces, nothing
  // after (RFC 4475 §3.1.2.8-10 reject embedded LWS, extra SP, trailing SP).
  const m = REQUEST_LINE_RE.exec(line);
  if (!m) throw new SipParseError(`malformed Request-Line ${quoteForError(line)}`, 'request-line');
  checkVersion(m[4]!);
  const method = m[1]!;
  const uri = m[2]!;
  if (!SCHEME_RE.test(uri)) throw new SipParseError(`bad Request-URI ${quoteForError(uri)}`, 'request-uri');
  if (/^sips?:/i.test(uri)) {
    const u = parseSipUri(uri);
    if (!u) throw new SipParseError(`bad Request-URI ${quoteForError(uri)}`, 'request-uri');
    // RFC 3261 §19.1.1 (table 1): headers are not allowed in a Request-URI.
    if (u.headers && Object.keys(u.headers).length > 0) {
      throw new SipParseError(`Request-URI carries headers ${quoteForError(uri)}`, 'request-uri');
    }
  }
  return { kind: 'request', method, uri };
}

// --- header fields ---------------------------------------------------------------

interface Field {
  /** Lower-case, compact form expanded. */
  name: string;
  /** Unfolded, without surrounding whitespace. */
  value: string;
}



const HEADER_LINE_RE = new RegExp(`^([${TOKEN_CHARS}]+)[ \\t]*:([\\s\\S]*)$`);

function splitFields(lines: string[]): Field[] {
  const fields: Field[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const m = HEADER_LINE_RE.exec(line);
    if (!m) throw new SipParseError(`malformed header line ${quoteForError(line, 40)}`);
    let name = m[1]!.toLowerCase();
    name = compactToFull(name);
    const value = unfold(m[2]!, false);
    if (/[\r\n]/.test(value)) throw new SipParseError(`bare CR or LF in ${displayName(name)} header`, name);
    fields.push({ name, value });
  }
  return fields;
}

// Headers that may appear only once (RFC 3261 §7.3.1: only list headers repeat).
const SINGLE = new Set(['from', 'to', 'call-id', 'cseq', 'max-forwards', 'expires', 'content-type']);

function convertHeaders(fields: Field[]): { headers: SipHeaders; contentLength?: number } {
  const via: Via[] = [];
  let from: NameAddr | undefined;
  let to: NameAddr | undefined;
  let callId: string | undefined;
  let cseq: CSeq | undefined;
  let contentLength: number | undefined;
  const seen = new Set<string>();
  const other: Record<string, string[]> = {};
  const rest: Partial<SipHeaders> = {};

  for (const { name, value } of fields) {
    if (SINGLE.has(name)) {
      if (seen.has(name)) throw new SipParseError(`more than one ${displayName(name)} header`, name);
      seen.add(name);
    }
    switch (name) {
      case 'via':
        via.push(...parseVias(value));
        break;
      case 'from':
        from = parseNameAddrs(value, name, false)[0];
        break;
      case 'to':
        to = parseNameAddrs(value, name, false)[0];
        break;
      case 'call-id':
        callId = parseCallId(value);
        break;
      case 'cseq':
        cseq = parseCSeq(value);
        break;
      case 'contact':
        if (value === '*') {
          if (rest.contact !== undefined) throw new SipParseError('Contact * together with other Contact values', name);
          rest.contact = '*';
        } else {
          if (rest.contact === '*') throw new SipParseError('Contact * together with other Contact values', name);
          rest.contact = [...(rest.contact ?? []), ...parseNameAddrs(value, name, true)];
        }
        break;
      case 'route':
        (rest.route ??= []).push(...parseNameAddrs(value, name, true));
        break;
      case 'record-route':
        (rest.recordRoute ??= []).push(...parseNameAddrs(value, name, true));
        break;
      case 'max-forwards':
        rest.maxForwards = parseNumber(value, name, 255);
        break;
      case 'expires':
        rest.expires = parseNumber(value, name, UINT32_MAX);
        break;
      case 'www-authenticate':
        (rest.wwwAuthenticate ??= []).push(...parseAuths(value, name));
        break;
      case 'proxy-authenticate':
        (rest.proxyAuthenticate ??= []).push(...parseAuths(value, name));
        break;
      case 'authorization':
        (rest.authorization ??= []).push(...parseAuths(value, name));
        break;
      case 'proxy-authorization':
        (rest.proxyAuthorization ??= []).push(...parseAuths(value, name));
        break;
      case 'content-type':
        checkNoBareNul(value, name);
        if (value === '') throw new SipParseError('empty Content-Type header', name);
        rest.contentType = value;
        break;
      case 'content-length': {
        const n = parseNumber(value, name, 2 ** 31 - 1);
        // RFC 4475 §3.3.10: two different lengths are a framing error.
        if (contentLength !== undefined && n !== contentLength) {
          throw new SipParseError(`conflicting Content-Length values ${contentLength} and ${n}`, name);
        }
        contentLength = n;
        break;
      }
      default:
        checkNoBareNul(value, name);
        if (Object.hasOwn(other, name)) other[name]!.push(value);
        else setOwn(other, name, [value]);
    }
  }

  // RFC 3261 §8.1.1: the headers every request and response carries.
  if (via.length === 0) throw new SipParseError('missing Via header', 'via');
  if (from === undefined) throw new SipParseError('missing From header', 'from');
  if (to === undefined) throw new SipParseError('missing To header', 'to');
  if (callId === undefined) throw new SipParseError('missing Call-ID header', 'call-id');
  if (cseq === undefined) throw new SipParseError('missing CSeq header', 'cseq');

  const headers: SipHeaders = { via, from, to, callId, cseq, ...rest, other };
  return contentLength === undefined ? { headers } : { headers, contentLength };
}
