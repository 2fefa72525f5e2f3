// SIP and SIPS URIs. The URI grammar is still the `sip` package's
// (`parseSipUri` wraps its parseUri); everything else in the codec is ours.
import { createRequire } from 'node:module';
import type { Params } from './message-types.ts';
import { formatParams } from './message-serializer.ts';

const require = createRequire(import.meta.url);
interface SipPackage {
  parseUri(s: string): RawUri | undefined;
}
const sipPackage = require('sip') as SipPackage;

// The `sip` package's loose shape of a parsed URI.
interface RawUri {
  schema: string;
  user?: string;
  password?: string;
  host: string;
  port: number;
  params: Params;
  headers: Record<string, string>;
}

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
