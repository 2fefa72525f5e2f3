// SIP and SIPS URIs (RFC 3261 §19.1.1, §25.1). Parsed here rather than
// through the `sip` package: its parseUri is one expression, while loading the
// package pulls in its transports (net, tls, dgram, ws): some 15 MB of
// resident memory on a board that has little.
import type { Params } from './message-types.ts';
import { formatParams } from './message-serializer.ts';

// The parts of `scheme:[user[:password]@]host[:port][;params][?headers]`.
// A password is accepted and dropped (§19.1.1: NOT RECOMMENDED, never echoed).
const USERINFO = String.raw`(?:([^\s>:@]+)(?::[^\s@>]+)?@)?`;
const HOST = String.raw`([\w.-]+)`;
const PORT = String.raw`(?::(\d+))?`;
// ;name or ;name=value, repeated; a value never holds ';' or '?'.
const PARAMS = String.raw`((?:;[^\s=?>;]+(?:=[^\s?;]+)?)*)`;
// ?name=value&name=value, all or nothing.
const HEADER = String.raw`[^\s&=>]+=[^\s&=>]+`;
const HEADERS = `(?:\\?(${HEADER}(?:&${HEADER})*))?`;
const URI = new RegExp(`^(sips?):${USERINFO}${HOST}${PORT}${PARAMS}${HEADERS}$`);

/** A parsed sip:/sips: URI. */
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
  // The scheme is case-insensitive (RFC 3261 §19.1.4).
  text = text.replace(/^sips?:/i, (x) => x.toLowerCase());
  // IPv6 references (RFC 5118).
  const v6 = /^(sips?):(?:([^@]+)@)?\[([0-9a-fA-F:.]+)\](?::(\d+))?((?:;[^?]*)?)(?:\?(.*))?$/.exec(text);
  if (v6 && !v6[3]!.includes(':')) return undefined;
  // Both expressions capture scheme, user[:password], host, port, params, headers.
  const m = v6 ?? URI.exec(text);
  if (!m) return undefined;
  const host = v6 ? `[${m[3]}]` : m[3]!.toLowerCase();
  const out: SipUri = { scheme: m[1] as 'sip' | 'sips', host, params: parseUriParams(m[5] ?? '') };
  if (m[2]) out.user = m[2].split(':')[0]!;
  if (m[4]) {
    const port = Number(m[4]);
    if (!(port > 0 && port < 65536)) return undefined;
    out.port = port;
  }
  if (m[6]) out.headers = parseUriHeaders(m[6]);
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
