// SIP messages as typed data, and the bytes <-> message codec.
//
// Header parsing is delegated to the `sip` package's parser; this module is
// the one place that wraps it and works around its defects:
//  - it decodes the buffer as latin1, so UTF-8 display names came out garbled:
//    we frame the message ourselves and hand it the header text as UTF-8;
//  - it swallows header parse errors and silently drops the header: we check
//    the mandatory headers (RFC 3261 §8.1.1) and report which one is bad;
//  - its serializer counts Content-Length in UTF-16 units: we serialize the
//    body as bytes and compute the length from the Buffer;
//  - its serializer mutates the message: ours never does.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
interface SipPackage {
  parse(data: Buffer | string): RawMessage | undefined;
  stringify(m: RawMessage): string;
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

/** Thrown for bytes that are not a usable SIP message; `header` names the culprit when known. */
export class SipParseError extends Error {
  constructor(
    message: string,
    readonly header?: string,
  ) {
    super(message);
    this.name = 'SipParseError';
  }
}

// --- the `sip` package's loose shapes -------------------------------------

interface RawAor {
  name?: string;
  uri: string;
  params?: Params;
}
interface RawVia {
  version?: string;
  protocol?: string;
  host?: string;
  port?: number;
  params?: Params;
}
interface RawAuth {
  scheme?: string;
  [k: string]: string | undefined;
}
interface RawMessage {
  method?: string;
  uri?: string | RawUri;
  version?: string;
  status?: number;
  reason?: string;
  headers: Record<string, unknown>;
  content?: string;
}
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

/** Where the header section of a message ends: index of the CRLFCRLF, or -1. */
export function findHeaderEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/**
 * Parses one complete message (a UDP datagram, or one framed from a stream).
 * The body is taken by Content-Length in bytes; bytes beyond it are ignored
 * (RFC 3261 §18.3). Throws SipParseError with a one-line reason.
 */
export function parseMessage(buf: Buffer): SipMessage {
  let start = 0;
  // RFC 3261 §7.5: tolerate leading CRLFs (keep-alives before a message).
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  let end = findHeaderEnd(buf, start);
  let bodyStart = end + 4;
  if (end < 0) {
    // A datagram without the empty line: accept it when it has no body.
    end = buf.length;
    while (end > start && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
    bodyStart = buf.length;
  }
  if (end - start > MAX_HEADER_BYTES) throw new SipParseError('header section too large');
  const headText = buf.subarray(start, end).toString('utf8');
  if (headText.length === 0) throw new SipParseError('empty message');
  if (headText.includes('\0')) throw new SipParseError('NUL byte in header section');

  let raw: RawMessage | undefined;
  try {
    raw = sipPackage.parse(headText + '\r\n\r\n');
  } catch {
    raw = undefined;
  }
  if (!raw) {
    const first = headText.split('\r\n', 1)[0] ?? '';
    throw new SipParseError(`malformed start line or header: ${JSON.stringify(first.slice(0, 80))}`);
  }
  const version = raw.version ?? '';
  if (version !== '2.0') throw new SipParseError(`unsupported SIP version ${JSON.stringify(version)}`, 'version');

  const headers = convertHeaders(raw.headers, headText);
  const rest = buf.subarray(bodyStart);
  let body: Buffer;
  const cl = headerValues(headText, 'content-length', 'l');
  if (cl.length > 0) {
    const n = Number(cl[0]!.trim());
    if (!Number.isInteger(n) || n < 0) throw new SipParseError(`bad Content-Length ${JSON.stringify(cl[0])}`, 'content-length');
    if (n > rest.length) throw new SipParseError(`Content-Length ${n} exceeds the ${rest.length} body bytes received`, 'content-length');
    body = Buffer.from(rest.subarray(0, n));
  } else {
    body = Buffer.from(rest);
  }

  if (raw.method !== undefined) {
    const uri = typeof raw.uri === 'string' ? raw.uri : '';
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) throw new SipParseError(`bad Request-URI ${JSON.stringify(uri)}`, 'request-uri');
    if (headers.cseq.method !== raw.method) {
      throw new SipParseError(`CSeq method ${headers.cseq.method} does not match request method ${raw.method}`, 'cseq');
    }
    return { kind: 'request', method: raw.method, uri, headers, body };
  }
  const status = raw.status ?? 0;
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new SipParseError(`bad status code ${status}`, 'status');
  return { kind: 'response', status, reason: raw.reason ?? '', headers, body };
}

// Raw values of one header (and its compact form) straight from the text, for
// the headers whose parsed form from the package loses information.
function headerValues(headText: string, name: string, compact?: string): string[] {
  const out: string[] = [];
  const lines = headText.split(/\r\n(?![ \t])/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const n = line.slice(0, colon).trim().toLowerCase();
    if (n === name || (compact !== undefined && n === compact)) out.push(line.slice(colon + 1).replace(/\r\n[ \t]+/g, ' ').trim());
  }
  return out;
}

const PARSED = new Set([
  'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'route', 'record-route', 'max-forwards', 'expires',
  'www-authenticate', 'proxy-authenticate', 'authorization', 'proxy-authorization', 'content-type', 'content-length',
]);
const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', r: 'refer-to', u: 'allow-events',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function toNameAddr(v: unknown, header: string): NameAddr {
  if (!isObject(v) || typeof v.uri !== 'string' || v.uri === '') throw new SipParseError(`bad ${header} header`, header);
  const a = v as unknown as RawAor;
  const out: NameAddr = { uri: a.uri.trim(), params: { ...(a.params ?? {}) } };
  if (a.name !== undefined && a.name !== '') out.name = a.name;
  return out;
}

function toNameAddrList(v: unknown, header: string): NameAddr[] {
  if (!Array.isArray(v)) throw new SipParseError(`bad ${header} header`, header);
  return v.map((x) => toNameAddr(x, header));
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s;
}

function toAuthList(v: unknown, header: string): AuthHeader[] {
  if (!Array.isArray(v)) throw new SipParseError(`bad ${header} header`, header);
  return v.map((x) => {
    if (!isObject(x) || typeof x.scheme !== 'string' || x.scheme === '') throw new SipParseError(`bad ${header} header`, header);
    const raw = x as RawAuth;
    const params: Record<string, string> = {};
    for (const [k, val] of Object.entries(raw)) {
      if (k === 'scheme' || typeof val !== 'string') continue;
      params[k.toLowerCase()] = unquote(val);
    }
    return { scheme: raw.scheme!, params };
  });
}

function toNumber(v: string | undefined, header: string): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t)) throw new SipParseError(`bad ${header} value ${JSON.stringify(t)}`, header);
  return Number(t);
}

function convertHeaders(h: Record<string, unknown>, headText: string): SipHeaders {
  const viaRaw = h.via;
  if (!Array.isArray(viaRaw) || viaRaw.length === 0) throw new SipParseError('missing or bad Via header', 'via');
  const via: Via[] = viaRaw.map((x: unknown) => {
    const v = x as RawVia;
    if (!isObject(x) || !v.host || !v.protocol) throw new SipParseError('bad Via header', 'via');
    const out: Via = { version: v.version ?? '2.0', protocol: v.protocol.toUpperCase(), host: v.host, params: { ...(v.params ?? {}) } };
    if (v.port !== undefined && !Number.isNaN(v.port)) {
      if (!(v.port > 0 && v.port < 65536)) throw new SipParseError(`bad Via port ${v.port}`, 'via');
      out.port = v.port;
    }
    return out;
  });
  if (h.from === undefined) throw new SipParseError('missing From header', 'from');
  if (h.to === undefined) throw new SipParseError('missing To header', 'to');
  const callId = typeof h['call-id'] === 'string' ? h['call-id'].trim() : '';
  if (callId === '') throw new SipParseError('missing Call-ID header', 'call-id');
  const cseqText = headerValues(headText, 'cseq');
  if (cseqText.length === 0) throw new SipParseError('missing CSeq header', 'cseq');
  if (cseqText.length > 1) throw new SipParseError('more than one CSeq header', 'cseq');
  const cm = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(cseqText[0]!);
  if (!cm || Number(cm[1]) > 2 ** 31 - 1) throw new SipParseError(`bad CSeq ${JSON.stringify(cseqText[0])}`, 'cseq');

  const headers: SipHeaders = {
    via,
    from: toNameAddr(h.from, 'from'),
    to: toNameAddr(h.to, 'to'),
    callId,
    cseq: { seq: Number(cm[1]), method: cm[2]! },
    other: {},
  };
  if (h.contact !== undefined) headers.contact = h.contact === '*' ? '*' : toNameAddrList(h.contact, 'contact');
  if (h.route !== undefined) headers.route = toNameAddrList(h.route, 'route');
  if (h['record-route'] !== undefined) headers.recordRoute = toNameAddrList(h['record-route'], 'record-route');
  const mf = headerValues(headText, 'max-forwards')[0];
  if (mf !== undefined) headers.maxForwards = toNumber(mf, 'max-forwards');
  const ex = headerValues(headText, 'expires')[0];
  if (ex !== undefined) headers.expires = toNumber(ex, 'expires');
  if (h['www-authenticate'] !== undefined) headers.wwwAuthenticate = toAuthList(h['www-authenticate'], 'www-authenticate');
  if (h['proxy-authenticate'] !== undefined) headers.proxyAuthenticate = toAuthList(h['proxy-authenticate'], 'proxy-authenticate');
  if (h.authorization !== undefined) headers.authorization = toAuthList(h.authorization, 'authorization');
  if (h['proxy-authorization'] !== undefined) headers.proxyAuthorization = toAuthList(h['proxy-authorization'], 'proxy-authorization');
  const ct = headerValues(headText, 'content-type', 'c')[0];
  if (ct !== undefined) headers.contentType = ct;

  // Everything else, raw, per occurrence (the package joins repeats with commas).
  const lines = headText.split(/\r\n(?![ \t])/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    if (PARSED.has(name)) continue;
    (headers.other[name] ??= []).push(line.slice(colon + 1).replace(/\r\n[ \t]+/g, ' ').trim());
  }
  return headers;
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

export function formatVia(v: Via): string {
  return `SIP/${v.version}/${v.protocol} ${v.host}${v.port ? ':' + v.port : ''}${formatParams(v.params)}`;
}

function quoteIfNeeded(k: string, v: string): string {
  // RFC 7616/2617: these are tokens; everything else is a quoted-string.
  if (k === 'algorithm' || k === 'nc' || k === 'stale' || (k === 'qop' && !v.includes(','))) return v;
  return `"${v.replace(/["\\]/g, '\\$&')}"`;
}

export function formatAuth(a: AuthHeader, quoteQop = false): string {
  const parts = Object.entries(a.params).map(([k, v]) => `${k}=${k === 'qop' && quoteQop ? `"${v}"` : quoteIfNeeded(k, v)}`);
  return `${a.scheme} ${parts.join(', ')}`;
}

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
};
function canonicalName(n: string): string {
  return CANONICAL[n] ?? n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** Serializes a message to wire bytes; Content-Length is always the body's byte length. */
export function serializeMessage(m: SipMessage): Buffer {
  const h = m.headers;
  const lines: string[] = [];
  lines.push(m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`);
  for (const v of h.via) lines.push(`Via: ${formatVia(v)}`);
  if (h.maxForwards !== undefined) lines.push(`Max-Forwards: ${h.maxForwards}`);
  if (h.route && h.route.length) lines.push(`Route: ${h.route.map(formatNameAddr).join(', ')}`);
  if (h.recordRoute && h.recordRoute.length) lines.push(`Record-Route: ${h.recordRoute.map(formatNameAddr).join(', ')}`);
  lines.push(`From: ${formatNameAddr(h.from)}`);
  lines.push(`To: ${formatNameAddr(h.to)}`);
  lines.push(`Call-ID: ${h.callId}`);
  lines.push(`CSeq: ${h.cseq.seq} ${h.cseq.method}`);
  if (h.contact !== undefined) lines.push(`Contact: ${h.contact === '*' ? '*' : h.contact.map(formatNameAddr).join(', ')}`);
  if (h.expires !== undefined) lines.push(`Expires: ${h.expires}`);
  for (const a of h.wwwAuthenticate ?? []) lines.push(`WWW-Authenticate: ${formatAuth(a)}`);
  for (const a of h.proxyAuthenticate ?? []) lines.push(`Proxy-Authenticate: ${formatAuth(a)}`);
  for (const a of h.authorization ?? []) lines.push(`Authorization: ${formatAuth(a)}`);
  for (const a of h.proxyAuthorization ?? []) lines.push(`Proxy-Authorization: ${formatAuth(a)}`);
  for (const [name, values] of Object.entries(h.other)) for (const v of values) lines.push(`${canonicalName(name)}: ${v}`);
  if (h.contentType !== undefined) lines.push(`Content-Type: ${h.contentType}`);
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
}

/** Parses a sip:/sips: URI; returns undefined for anything else (tel:, garbage). */
export function parseSipUri(s: string): SipUri | undefined {
  let text = s.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
  // IPv6 references are outside what the package parses; handle them here.
  const v6 = /^(sips?):(?:([^@]+)@)?\[([0-9a-fA-F:.]+)\](?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/.exec(text);
  if (v6) {
    const out: SipUri = { scheme: v6[1] as 'sip' | 'sips', host: `[${v6[3]}]`, params: parseUriParams(v6[5] ?? '') };
    if (v6[2]) out.user = v6[2].split(':')[0]!;
    if (v6[4]) out.port = Number(v6[4]);
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

export function formatSipUri(u: SipUri): string {
  return `${u.scheme}:${u.user !== undefined ? u.user + '@' : ''}${u.host}${u.port ? ':' + u.port : ''}${formatParams(u.params)}`;
}

/** First value of an unparsed header, or undefined. */
export function otherHeader(m: SipMessage, name: string): string | undefined {
  return m.headers.other[name.toLowerCase()]?.[0];
}
