// Parsing of the `host[:port]` and `address[:port]` strings used in the config.
// IPv6 literals must be bracketed ("[::1]:5060") because a bare one cannot be
// told apart from a host followed by a port; hosts are returned without brackets
// because that is the form the socket APIs take.
import { isIP, isIPv4 } from 'node:net';

export interface HostPort {
  host: string;
  port?: number;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for a DNS name (labels of letters, digits and inner hyphens) or an IPv4 address. */
export function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) return false;
  // All-numeric names are only meaningful as IPv4 addresses ("999.1.1.1" is neither).
  if (labels.every((l) => /^[0-9]+$/.test(l))) return isIPv4(name);
  return true;
}

/** Parses a port number written as text; undefined when it is not 0..65535. */
export function parsePort(s: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** Splits "host", "host:port", "[v6]" or "[v6]:port"; undefined when the shape is wrong. */
function splitHostPort(s: string): { host: string; port?: string; bracketed: boolean } | undefined {
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    if (!m || m[1] === undefined) return undefined;
    return m[2] === undefined ? { host: m[1], bracketed: true } : { host: m[1], port: m[2], bracketed: true };
  }
  const parts = s.split(':');
  if (parts.length > 2) return undefined;
  const [host = '', port] = parts;
  return port === undefined ? { host, bracketed: false } : { host, port, bracketed: false };
}

/** Parses a remote `host[:port]` (a DNS name, IPv4, or bracketed IPv6); undefined if malformed. */
export function parseHostPort(s: string): HostPort | undefined {
  const split = splitHostPort(s.trim());
  if (!split) return undefined;
  const hostOk = split.bracketed ? isIP(split.host) === 6 : isHostName(split.host);
  if (!hostOk) return undefined;
  if (split.port === undefined) return { host: split.host };
  const port = parsePort(split.port);
  if (port === undefined || port === 0) return undefined;
  return { host: split.host, port };
}

/** Parses a local bind `address[:port]` or `:port` (the address must be an IP literal). */
export function parseListen(s: string): { host?: string; port?: number } | undefined {
  const split = splitHostPort(s.trim());
  if (!split) return undefined;
  const result: { host?: string; port?: number } = {};
  if (split.host !== '' || split.bracketed) {
    const family = isIP(split.host);
    if (family === 0 || (family === 6) !== split.bracketed) return undefined;
    result.host = split.host;
  }
  if (split.port !== undefined) {
    const port = parsePort(split.port);
    if (port === undefined) return undefined;
    result.port = port;
  }
  if (result.host === undefined && result.port === undefined) return undefined;
  return result;
}
