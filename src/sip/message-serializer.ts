// Message -> bytes. The `sip` package's serializer counts Content-Length in
// UTF-16 units and mutates the message it is given; ours counts bytes and never
// mutates its input.
import type { AuthHeader, NameAddr, Params, SipMessage, Via } from './message-types.ts';
import { canonicalName, TOKEN_RE } from './message-text.ts';

/** Formats *(SEMI param), in insertion order. */
export function formatParams(p: Params): string {
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
