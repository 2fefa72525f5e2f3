// One plain HTTP GET with a deadline, for checking the metrics endpoint.
import { get } from 'node:http';
import type { HttpAnswer } from './integration-checks.ts';

/** Bodies beyond this are cut off; a scrape of one door is a few kilobytes. */
const MAX_BODY = 1024 * 1024;

/** The status and body of `url`, or a one-line reason there is none; never throws. */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => resolve({ ok: false, error: err.message }));
  });
}
