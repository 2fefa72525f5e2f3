// The structured header values, parsed by a small scanner that reports the
// header and what is wrong with it.
//
// Why not the `sip` package's parsers: it catches each header parser's
// exception and silently drops the header, and its parsers stop at the first
// thing they do not understand without noticing the junk after it. Its Via
// parser cannot read IPv6 references (RFC 5118), its Route/Record-Route
// parser turns the URI into an object (and into `undefined` for a URI it
// cannot parse), its name-addr parser accepts an unterminated quote, and its
// CSeq parser unescapes the method. So Via, From, To, Contact, Route,
// Record-Route, CSeq, Call-ID, Max-Forwards, Expires, Content-Length and the
// four authentication headers are parsed here.
import type { AuthHeader, CSeq, NameAddr, Params, Via } from './message-types.ts';
import { SipParseError } from './message-types.ts';
import { displayName, quoteForError, SCHEME_RE, TOKEN_CHARS, UINT32_MAX } from './message-text.ts';

// Names come from the wire: `__proto__` or `constructor` must become plain own
// keys, not reach the object's prototype.
/** Sets an own enumerable property, whatever the key. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// A NUL may only appear escaped inside a quoted string (RFC 3261 §25.1
// quoted-pair); anywhere else it is a sign of a broken or hostile sender.
/** Throws SipParseError for a NUL byte outside a quoted string. */
export function checkNoBareNul(value: string, header: string): void {
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
/** Parses a Via header value into one or more vias. */
export function parseVias(value: string): Via[] {
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

/** Parses a name-addr header value; `many` allows a comma-separated list. */
export function parseNameAddrs(value: string, header: string, many: boolean): NameAddr[] {
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
/** Parses a WWW-/Proxy-Authenticate or (Proxy-)Authorization value into its challenges or credentials. */
export function parseAuths(value: string, header: string): AuthHeader[] {
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

/** Parses a CSeq header value. */
export function parseCSeq(value: string): CSeq {
  // RFC 3261 §20.16: 1*DIGIT LWS Method; the number fits 32 bits (§8.1.1.5).
  const m = new RegExp(`^(\\d+)[ \\t]+([${TOKEN_CHARS}]+)$`).exec(value);
  if (!m) throw new SipParseError(`bad CSeq header ${quoteForError(value)}`, 'cseq');
  const digits = m[1]!.replace(/^0+(?=\d)/, '');
  if (digits.length > 10 || Number(digits) > UINT32_MAX) throw new SipParseError(`CSeq number ${quoteForError(m[1]!, 24)} exceeds 2^32-1`, 'cseq');
  return { seq: Number(digits), method: m[2]! };
}

/** Parses a decimal header value (Max-Forwards, Expires, Content-Length) of at most `max`. */
export function parseNumber(value: string, header: string, max: number): number {
  if (!/^\d+$/.test(value)) throw new SipParseError(`bad ${displayName(header)} value ${quoteForError(value, 24)}`, header);
  const digits = value.replace(/^0+(?=\d)/, '');
  if (digits.length > 10 || Number(digits) > max) throw new SipParseError(`${displayName(header)} value ${quoteForError(value, 24)} exceeds ${max}`, header);
  return Number(digits);
}

/** Checks a Call-ID header value and returns it. */
export function parseCallId(value: string): string {
  // RFC 3261 §25.1: callid = word ["@" word]; words exclude whitespace.
  if (value === '' || /\s/.test(value)) throw new SipParseError(`bad Call-ID header ${quoteForError(value)}`, 'call-id');
  checkNoBareNul(value, 'call-id');
  return value;
}
