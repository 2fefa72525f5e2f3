// SIP messages as typed data, and the bytes <-> message codec.
//
// This module is the one place that wraps the `sip` package's codec and works
// around its defects. What is still the package's: the SIP/SIPS URI grammar
// (`parseSipUri`). What we replaced, and why:
//  - framing: the package decodes the buffer as latin1 (UTF-8 display names and
//    reason phrases come out garbled) and frames on the first CRLFCRLF with a
//    regex; we frame the bytes ourselves, take the body by Content-Length in
//    bytes (RFC 3261 §18.3) and decode only the header section as UTF-8;
//  - the start line: the package unescapes the method, so `RE%47IST%45R` became
//    REGISTER (RFC 4475 §3.1.1.5 says it is an unknown method), and it accepts
//    any whitespace between the Request-Line elements (§3.1.2.8-10);
//  - header names: the package unescapes them too (`C%6Fntact` became Contact);
//  - every structured header: the package catches each header parser's
//    exception and silently drops the header, and its parsers stop at the first
//    thing they do not understand without noticing the junk after it. Its Via
//    parser cannot read IPv6 references (RFC 5118), its Route/Record-Route
//    parser turns the URI into an object (and into `undefined` for a URI it
//    cannot parse), its name-addr parser accepts an unterminated quote, and its
//    CSeq parser unescapes the method. So Via, From, To, Contact, Route,
//    Record-Route, CSeq, Call-ID, Max-Forwards, Expires, Content-Length and the
//    four authentication headers are parsed here by a small scanner that
//    reports the header and what is wrong with it;
//  - serializing: the package counts Content-Length in UTF-16 units and mutates
//    the message it is given; ours counts bytes and never mutates its input.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
interface SipPackage {
  parseUri(s: string): RawUri | undefined;
}
const sipPackage = require('sip') as SipPackage;

export type Params = Record<string, string | null>;

/** A header of the name-addr form (From, To, Contact, Route, Record-Route). */
export interface NameAddr {
  /** Display name as written (quotes kept), if any. */
  name?: string;
  uri: string;
  params: Params;
}

export interface Via {
  version: string;
  /** Transport in upper case: UDP, TCP, TLS. */
  protocol: string;
  host: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** A WWW-/Proxy-Authenticate challenge or an Authorization header, values unquoted. */
export interface AuthHeader {
  scheme: string;
  params: Record<string, string>;
}

/** Headers we interpret, parsed; every other header is kept as raw values in `other`. */
export interface SipHeaders {
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  contact?: NameAddr[] | '*';
  route?: NameAddr[];
  recordRoute?: NameAddr[];
  maxForwards?: number;
  expires?: number;
  wwwAuthenticate?: AuthHeader[];
  proxyAuthenticate?: AuthHeader[];
  authorization?: AuthHeader[];
  proxyAuthorization?: AuthHeader[];
  contentType?: string;
  /** Lower-case header name -> values in order of appearance. */
  other: Record<string, string[]>;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * Thrown for bytes that are not a usable SIP message. The message is one line;
 * `header` names the culprit (lower-case header name, or 'request-line',
 * 'status-line', 'request-uri', 'version') when known; `status` is the answer a
 * UAS should give if the bytes were a request (400, or 505 for the version).
 */
export class SipParseError extends Error {
  readonly status: number;
  constructor(
    message: string,
    readonly header?: string,
    status = 400,
  ) {
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'SipParseError';
    this.status = status;
  }
}

export interface ParseOptions {
  /**
   * Accept a body shorter than Content-Length and keep the bytes that are there.
   * Off by default: on a datagram transport a short body is an error (RFC 3261
   * §18.3, a request gets 400). Meant for stored messages that lost bytes in
   * transcription, never for the network.
   */
  allowShortBody?: boolean;
}

// --- the `sip` package's loose shapes -------------------------------------

interface RawUri {
  schema: string;
  user?: string;
  password?: string;
  host: string;
  port: number;
  params: Params;
  headers: Record<string, string>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const UINT32_MAX = 2 ** 32 - 1;

/** Where the header section of a message ends: index of the CRLFCRLF, or -1. */
export function findHeaderEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

// RFC 3261 §7.5: leading CRLFs before a message (keep-alives) are ignored.
function skipLeadingCrlf(buf: Buffer): number {
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  return start;
}

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

const TOKEN_CHARS = "A-Za-z0-9\\-.!%*_+`'~";
const TOKEN_RE = new RegExp(`^[${TOKEN_CHARS}]+$`);
const REQUEST_LINE_RE = new RegExp(`^([${TOKEN_CHARS}]+) ([^ \\t]+) ([Ss][Ii][Pp]/(\\d+\\.\\d+))$`);
const STATUS_LINE_RE = /^[Ss][Ii][Pp]\/(\d+\.\d+) (\d+)(?: ([^\r\n]*))?$/;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

type StartLine = { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

function quoteForError(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? s.slice(0, max) + '…' : s);
}

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
function unfold(v: string, bareLf: boolean): string {
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

function compactToFull(name: string): string {
  return (Object.hasOwn(COMPACT, name) ? COMPACT[name] : undefined) ?? name;
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

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
};
function canonicalName(n: string): string {
  return (Object.hasOwn(CANONICAL, n) ? CANONICAL[n] : undefined) ?? n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}
const displayName = canonicalName;

// Names come from the wire: `__proto__` or `constructor` must become plain own
// keys, not reach the object's prototype.
function setOwn<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// A NUL may only appear escaped inside a quoted string (RFC 3261 §25.1
// quoted-pair); anywhere else it is a sign of a broken or hostile sender.
function checkNoBareNul(value: string, header: string): void {
  if (!value.includes('\0')) return;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted && ch === '\\') {
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (ch === '\0') throw new SipParseError(`NUL byte in ${displayName(header)} header`, header);
  }
}

// --- a scanner over one header value ----------------------------------------------

const TOKEN_CHAR = new RegExp(`[${TOKEN_CHARS}]`);
const HOST_CHAR = /[A-Za-z0-9._-]/;

function isTokenChar(ch: string | undefined): boolean {
  return ch !== undefined && TOKEN_CHAR.test(ch);
}

class Scanner {
  pos = 0;
  constructor(
    readonly s: string,
    readonly header: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string | undefined {
    return this.s[this.pos];
  }
  fail(what: string): never {
    const near = this.done ? 'at the end' : `at ${quoteForError(this.s.slice(this.pos), 24)}`;
    throw new SipParseError(`bad ${displayName(this.header)} header: ${what} ${near}`, this.header);
  }
  skipWs(): boolean {
    const p = this.pos;
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
    return this.pos > p;
  }
  /** Consumes `ch` with optional whitespace around it (RFC 3261 §25.1 SWS). */
  eat(ch: string): boolean {
    const save = this.pos;
    this.skipWs();
    if (this.s[this.pos] === ch) {
      this.pos++;
      this.skipWs();
      return true;
    }
    this.pos = save;
    return false;
  }
  expect(ch: string, what: string): void {
    if (!this.eat(ch)) this.fail(`expected ${what}`);
  }
  token(what: string): string {
    const start = this.pos;
    while (isTokenChar(this.s[this.pos])) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}`);
    return this.s.slice(start, this.pos);
  }
  /** A quoted-string, returned as written (quotes and escapes kept). */
  quoted(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const ch = this.s[this.pos];
      if (ch === undefined) {
        this.pos = start;
        this.fail('unterminated quoted string');
      }
      if (ch === '\\') {
        if (this.pos + 1 >= this.s.length) this.fail('unterminated quoted string');
        this.pos += 2;
        continue;
      }
      if (ch === '\0') this.fail('NUL byte in quoted string');
      this.pos++;
      if (ch === '"') return this.s.slice(start, this.pos);
    }
  }
  /** Characters up to the next one in `stop` (or the end); may be empty. */
  until(stop: RegExp): string {
    const start = this.pos;
    while (this.pos < this.s.length && !stop.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }
}

/** Removes the quotes and backslash escapes of a quoted-string; other text is returned as is. */
export function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\([\s\S])/g, '$1') : s;
}

// generic-param values (RFC 3261 §25.1: token / host / quoted-string), read a
// little more liberally than the grammar: anything up to a separator.
const PARAM_VALUE_STOP = /[\s;,"<>]/;

// *( SEMI generic-param ), as in Via, From, To, Contact, Route.
function parseParams(sc: Scanner): Params {
  const params: Params = {};
  while (sc.eat(';')) {
    if (sc.done || !isTokenChar(sc.peek())) sc.fail('empty parameter');
    const name = sc.token('parameter name').toLowerCase();
    if (sc.eat('=')) {
      const value = sc.peek() === '"' ? sc.quoted() : sc.until(PARAM_VALUE_STOP);
      if (value === '') sc.fail(`parameter ${name} has no value`);
      setOwn(params, name, value);
    } else {
      setOwn(params, name, null);
    }
  }
  return params;
}

// RFC 3261 §20.42 / §25.1: via-parm *(COMMA via-parm); RFC 5118 §4: the host may
// be an IPv6 reference, also in received=.
function parseVias(value: string): Via[] {
  const sc = new Scanner(value, 'via');
  const out: Via[] = [];
  do {
    sc.skipWs();
    const name = sc.token('SIP/2.0/transport');
    if (name.toUpperCase() !== 'SIP') sc.fail(`unknown protocol ${quoteForError(name, 20)}`);
    sc.expect('/', '/');
    const version = sc.token('protocol version');
    sc.expect('/', '/');
    const transport = sc.token('transport');
    if (!sc.skipWs()) sc.fail('expected whitespace before sent-by');
    let host: string;
    if (sc.peek() === '[') {
      const end = sc.s.indexOf(']', sc.pos);
      const inner = end < 0 ? '' : sc.s.slice(sc.pos + 1, end);
      if (!/^[0-9A-Fa-f:.]+$/.test(inner) || !inner.includes(':')) sc.fail('bad IPv6 reference');
      host = `[${inner}]`;
      sc.pos = end + 1;
    } else {
      const start = sc.pos;
      while (HOST_CHAR.test(sc.s[sc.pos] ?? ' ')) sc.pos++;
      if (sc.pos === start) sc.fail('expected host');
      host = sc.s.slice(start, sc.pos);
    }
    const via: Via = { version, protocol: transport.toUpperCase(), host, params: {} };
    if (sc.eat(':')) {
      const digits = sc.until(/[^0-9]/);
      const port = Number(digits);
      if (digits === '' || digits.length > 5 || port < 1 || port > 65535) sc.fail('bad port');
      via.port = port;
    }
    via.params = parseParams(sc);
    out.push(via);
    sc.skipWs();
    if (!sc.done && sc.peek() !== ',') sc.fail('unexpected text');
  } while (sc.eat(','));
  if (!sc.done) sc.fail('unexpected text');
  return out;
}

// Display names in the token form (RFC 3261 §25.1 *(token LWS)), read liberally:
// devices put UTF-8 there too, and leave out the space before '<' (RFC 4475 §3.1.1.6).
function isDisplayNameChar(ch: string | undefined): boolean {
  return ch !== undefined && (isTokenChar(ch) || ch === ' ' || ch === '\t' || ch.charCodeAt(0) >= 0x80);
}

// (name-addr / addr-spec) *(SEMI param), RFC 3261 §20.10 and §25.1.
function parseOneNameAddr(sc: Scanner): NameAddr {
  sc.skipWs();
  let name: string | undefined;
  let uri: string;
  if (sc.peek() === '"') {
    name = sc.quoted();
    sc.skipWs();
    if (sc.peek() !== '<') sc.fail('expected <uri> after the display name');
  } else {
    const start = sc.pos;
    while (isDisplayNameChar(sc.peek())) sc.pos++;
    if (sc.peek() === '<') {
      const n = sc.s.slice(start, sc.pos).trim();
      if (n !== '') name = n;
    } else {
      sc.pos = start;
    }
  }
  if (sc.peek() === '<') {
    const end = sc.s.indexOf('>', sc.pos);
    if (end < 0) sc.fail('missing > after the URI');
    // Whitespace just inside the brackets is ignored (RFC 4475 §3.1.2.14 lets a
    // liberal element do so).
    uri = sc.s.slice(sc.pos + 1, end).trim();
    if (uri.includes('<')) sc.fail('< inside <uri>');
    sc.pos = end + 1;
  } else {
    uri = sc.until(/[\s;,<>"]/);
    // RFC 3261 §20.10: a URI with a comma, question mark or semicolon must be in <>.
    if (uri.includes('?')) sc.fail('a URI with ? must be enclosed in <>');
  }
  if (!SCHEME_RE.test(uri) || uri.length === uri.indexOf(':') + 1) {
    sc.fail(`expected a URI, found ${quoteForError(uri, 30)}`);
  }
  const out: NameAddr = { uri, params: parseParams(sc) };
  if (name !== undefined) out.name = name;
  return out;
}

function parseNameAddrs(value: string, header: string, many: boolean): NameAddr[] {
  const sc = new Scanner(value, header);
  const out: NameAddr[] = [];
  do {
    out.push(parseOneNameAddr(sc));
    sc.skipWs();
    if (!sc.done && sc.peek() !== ',') sc.fail('unexpected text');
    if (!many && !sc.done) sc.fail('a second value (an unquoted display name with a comma?)');
  } while (sc.eat(','));
  return out;
}

// RFC 3261 §25.1 challenge / credentials, RFC 7616 §3.3-3.4: a scheme, then
// comma-separated name=value pairs (token or quoted-string). A header may carry
// several challenges as in HTTP: a comma followed by `token SP token =` starts
// the next one. Values that are neither token nor quoted-string are taken up to
// the next comma (Ekiga sends username='x').
function parseAuths(value: string, header: string): AuthHeader[] {
  const sc = new Scanner(value, header);
  const out: AuthHeader[] = [];
  sc.skipWs();
  while (!sc.done) {
    const scheme = sc.token('authentication scheme');
    const params: Record<string, string> = {};
    out.push({ scheme, params });
    if (!sc.skipWs()) {
      if (sc.done) break;
      sc.fail('expected whitespace after the scheme');
    }
    for (;;) {
      const name = sc.token('parameter name').toLowerCase();
      sc.expect('=', '=');
      const v = sc.peek() === '"' ? unquote(sc.quoted()) : sc.until(/[\s,"]/);
      if (v === '' && sc.s[sc.pos - 1] !== '"') sc.fail(`parameter ${name} has no value`);
      setOwn(params, name, v);
      sc.skipWs();
      if (sc.done) break;
      if (!sc.eat(',')) sc.fail('expected , between parameters');
      // Lookahead: `token LWS token` (no '=') is the next challenge's scheme.
      const save = sc.pos;
      while (isTokenChar(sc.peek())) sc.pos++;
      const isScheme = sc.pos > save && sc.skipWs() && sc.peek() !== '=';
      sc.pos = save;
      if (isScheme) break;
    }
  }
  if (out.length === 0) sc.fail('empty value');
  return out;
}

function parseCSeq(value: string): CSeq {
  // RFC 3261 §20.16: 1*DIGIT LWS Method; the number fits 32 bits (§8.1.1.5).
  const m = new RegExp(`^(\\d+)[ \\t]+([${TOKEN_CHARS}]+)$`).exec(value);
  if (!m) throw new SipParseError(`bad CSeq header ${quoteForError(value)}`, 'cseq');
  const digits = m[1]!.replace(/^0+(?=\d)/, '');
  if (digits.length > 10 || Number(digits) > UINT32_MAX) throw new SipParseError(`CSeq number ${quoteForError(m[1]!, 24)} exceeds 2^32-1`, 'cseq');
  return { seq: Number(digits), method: m[2]! };
}

function parseNumber(value: string, header: string, max: number): number {
  if (!/^\d+$/.test(value)) throw new SipParseError(`bad ${displayName(header)} value ${quoteForError(value, 24)}`, header);
  const digits = value.replace(/^0+(?=\d)/, '');
  if (digits.length > 10 || Number(digits) > max) throw new SipParseError(`${displayName(header)} value ${quoteForError(value, 24)} exceeds ${max}`, header);
  return Number(digits);
}

function parseCallId(value: string): string {
  // RFC 3261 §25.1: callid = word ["@" word]; words exclude whitespace.
  if (value === '' || /\s/.test(value)) throw new SipParseError(`bad Call-ID header ${quoteForError(value)}`, 'call-id');
  checkNoBareNul(value, 'call-id');
  return value;
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

// --- answering what could not be parsed -------------------------------------------

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

// --- serializing -------------------------------------------------------------

function formatParams(p: Params): string {
  let s = '';
  for (const [k, v] of Object.entries(p)) s += v === null || v === undefined ? `;${k}` : `;${k}=${v}`;
  return s;
}

/** Formats a name-addr (always with angle brackets, RFC 3261 §20.10). */
export function formatNameAddr(a: NameAddr): string {
  return `${a.name ? a.name + ' ' : ''}<${a.uri}>${formatParams(a.params)}`;
}

/** Formats one Via value (RFC 3261 §20.42). */
export function formatVia(v: Via): string {
  return `SIP/${v.version}/${v.protocol} ${v.host}${v.port ? ':' + v.port : ''}${formatParams(v.params)}`;
}

// RFC 7616 §3.3-3.4 / RFC 2617 §3.2: these directives are tokens; the rest are
// quoted-strings. qop is a token in credentials but a quoted list in challenges.
const TOKEN_DIRECTIVES = new Set(['algorithm', 'nc', 'stale', 'userhash', 'charset']);
function quoteIfNeeded(k: string, v: string, quoteQop: boolean): string {
  if ((TOKEN_DIRECTIVES.has(k) && TOKEN_RE.test(v)) || (k === 'qop' && !quoteQop && TOKEN_RE.test(v))) return v;
  return `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/** Formats an authentication header value; quoteQop for challenges (WWW-/Proxy-Authenticate). */
export function formatAuth(a: AuthHeader, quoteQop = false): string {
  const parts = Object.entries(a.params).map(([k, v]) => `${k}=${quoteIfNeeded(k, v, quoteQop)}`);
  return `${a.scheme} ${parts.join(', ')}`;
}

function checkLine(name: string, value: string): string {
  // A CR or LF in a value would end the header early and let the rest be read as
  // another header (header injection), e.g. from a configured display name.
  if (/[\r\n]/.test(value)) throw new TypeError(`cannot serialize a CR or LF in the ${name} header`);
  return `${name}: ${value}`;
}

/** Serializes a message to wire bytes; Content-Length is always the body's byte length. Never mutates `m`. */
export function serializeMessage(m: SipMessage): Buffer {
  const h = m.headers;
  const lines: string[] = [];
  if (m.kind === 'request') {
    if (/[\s]/.test(m.method) || /[\s]/.test(m.uri)) throw new TypeError('cannot serialize whitespace in the Request-Line');
    lines.push(`${m.method} ${m.uri} SIP/2.0`);
  } else {
    if (/[\r\n]/.test(m.reason)) throw new TypeError('cannot serialize a CR or LF in the reason phrase');
    lines.push(`SIP/2.0 ${m.status} ${m.reason}`);
  }
  for (const v of h.via) lines.push(checkLine('Via', formatVia(v)));
  if (h.maxForwards !== undefined) lines.push(`Max-Forwards: ${h.maxForwards}`);
  if (h.route && h.route.length) lines.push(checkLine('Route', h.route.map(formatNameAddr).join(', ')));
  if (h.recordRoute && h.recordRoute.length) lines.push(checkLine('Record-Route', h.recordRoute.map(formatNameAddr).join(', ')));
  lines.push(checkLine('From', formatNameAddr(h.from)));
  lines.push(checkLine('To', formatNameAddr(h.to)));
  lines.push(checkLine('Call-ID', h.callId));
  lines.push(checkLine('CSeq', `${h.cseq.seq} ${h.cseq.method}`));
  if (h.contact !== undefined) lines.push(checkLine('Contact', h.contact === '*' ? '*' : h.contact.map(formatNameAddr).join(', ')));
  if (h.expires !== undefined) lines.push(`Expires: ${h.expires}`);
  for (const a of h.wwwAuthenticate ?? []) lines.push(checkLine('WWW-Authenticate', formatAuth(a, true)));
  for (const a of h.proxyAuthenticate ?? []) lines.push(checkLine('Proxy-Authenticate', formatAuth(a, true)));
  for (const a of h.authorization ?? []) lines.push(checkLine('Authorization', formatAuth(a)));
  for (const a of h.proxyAuthorization ?? []) lines.push(checkLine('Proxy-Authorization', formatAuth(a)));
  for (const [name, values] of Object.entries(h.other)) for (const v of values) lines.push(checkLine(canonicalName(name), v));
  if (h.contentType !== undefined) lines.push(checkLine('Content-Type', h.contentType));
  lines.push(`Content-Length: ${m.body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');
  return m.body.length ? Buffer.concat([head, m.body]) : head;
}

// --- URIs ----------------------------------------------------------------------

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params: Params;
  /** URI headers after '?' (RFC 3261 §19.1.1), when present. */
  headers?: Record<string, string>;
}

/** Parses a sip:/sips: URI; returns undefined for anything else (tel:, garbage). */
export function parseSipUri(s: string): SipUri | undefined {
  let text = s.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
  // The scheme is case-insensitive (RFC 3261 §19.1.4); the package's is not.
  text = text.replace(/^sips?:/i, (x) => x.toLowerCase());
  // IPv6 references are outside what the package parses; handle them here.
  const v6 = /^(sips?):(?:([^@]+)@)?\[([0-9a-fA-F:.]+)\](?::(\d+))?((?:;[^?]*)?)(?:\?(.*))?$/.exec(text);
  if (v6) {
    if (!v6[3]!.includes(':')) return undefined;
    const out: SipUri = { scheme: v6[1] as 'sip' | 'sips', host: `[${v6[3]}]`, params: parseUriParams(v6[5] ?? '') };
    if (v6[2]) out.user = v6[2].split(':')[0]!;
    if (v6[4]) {
      const port = Number(v6[4]);
      if (!(port > 0 && port < 65536)) return undefined;
      out.port = port;
    }
    if (v6[6]) out.headers = parseUriHeaders(v6[6]);
    return out;
  }
  let r: RawUri | undefined;
  try {
    r = sipPackage.parseUri(text);
  } catch {
    r = undefined;
  }
  if (!r || (r.schema !== 'sip' && r.schema !== 'sips')) return undefined;
  const out: SipUri = { scheme: r.schema, host: r.host.toLowerCase(), params: {} };
  for (const [k, v] of Object.entries(r.params)) out.params[k.toLowerCase()] = v ?? null;
  if (r.user) out.user = r.user;
  if (r.port && r.port > 0 && r.port < 65536) out.port = r.port;
  else if (r.port) return undefined;
  if (Object.keys(r.headers).length > 0) out.headers = { ...r.headers };
  return out;
}

function parseUriParams(s: string): Params {
  const p: Params = {};
  for (const part of s.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) p[part.toLowerCase()] = null;
    else p[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
  }
  return p;
}

function parseUriHeaders(s: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const part of s.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) h[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return h;
}

/** Formats a SIP URI (without URI headers). */
export function formatSipUri(u: SipUri): string {
  return `${u.scheme}:${u.user !== undefined ? u.user + '@' : ''}${u.host}${u.port ? ':' + u.port : ''}${formatParams(u.params)}`;
}

/** First value of an unparsed header, or undefined. */
export function otherHeader(m: SipMessage, name: string): string | undefined {
  return m.headers.other[name.toLowerCase()]?.[0];
}
