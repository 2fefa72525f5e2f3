// The one place provisioning talks to the network: a single HTTPS GET with a
// deadline, an optional CA of its own, credentials and If-None-Match (RFC 9110
// §13.1.2), answering with the body or a short reason fit for one log line.
import { request } from 'node:https';

export interface FetchRequest {
  url: string;
  /** PEM text of the CA to trust instead of the system's. */
  ca?: string;
  timeoutMs: number;
  /** Authorization header value, never logged. */
  authorization?: string;
  etag?: string;
}

export type FetchResult =
  | { ok: true; status: 200; body: Buffer; etag?: string }
  | { ok: true; status: 304 }
  | { ok: false; reason: string };

export type Fetcher = (req: FetchRequest) => Promise<FetchResult>;

/** Larger than any sensible config (the local file has the same limit). */
const MAX_BODY_BYTES = 1024 * 1024;

function describeError(err: NodeJS.ErrnoException, host: string): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${host}`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      // TLS failures ("self-signed certificate in certificate chain", "Hostname/IP does not match ...").
      return err.code && /CERT|SELF_SIGNED|ERR_TLS|SSL/.test(err.code) ? `TLS: ${err.message}` : err.message.split('\n')[0] ?? String(err.code);
  }
}

/** GETs `req.url`; never rejects. */
export const httpsGet: Fetcher = (req) =>
  new Promise((resolve) => {
    let settled = false;
    const done = (r: FetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const url = new URL(req.url);
    const headers: Record<string, string> = { accept: 'application/yaml, text/yaml, text/plain, */*' };
    if (req.authorization !== undefined) headers['authorization'] = req.authorization;
    if (req.etag !== undefined) headers['if-none-match'] = req.etag;
    const r = request(url, { method: 'GET', headers, ...(req.ca !== undefined ? { ca: req.ca } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) {
        res.resume();
        done({ ok: true, status: 304 });
        return;
      }
      if (status !== 200) {
        res.resume();
        done({ ok: false, reason: `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          done({ ok: false, reason: `larger than ${MAX_BODY_BYTES} bytes` });
          r.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        const etag = res.headers.etag;
        done({ ok: true, status: 200, body: Buffer.concat(chunks), ...(etag !== undefined ? { etag } : {}) });
      });
      res.on('error', (err) => done({ ok: false, reason: describeError(err, url.hostname) }));
    });
    // One deadline for the whole exchange: DNS, connect, TLS, headers and body.
    const timer = setTimeout(() => {
      done({ ok: false, reason: `no answer within ${req.timeoutMs / 1000} s` });
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, reason: describeError(err, url.hostname) }));
    r.end();
  });
