// A provisioning server for tests: HTTPS on a loopback address with a
// certificate from the test's own CA, serving one document and its detached
// signature, answering If-None-Match with 304 and recording every request.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { assertLoopback } from './ports.ts';

export interface SeenRequest {
  path: string;
  authorization?: string;
  ifNoneMatch?: string;
  status: number;
}

export interface ProvisioningServer {
  /** https://ADDRESS:PORT */
  readonly origin: string;
  /** Serves `document` at `path` and `signature` at `path + ".sig"` from now on. */
  publish(path: string, document: string, signature?: Buffer): void;
  requests(): SeenRequest[];
  close(): Promise<void>;
}

/** Starts the server on `address` (loopback only) with the PEM files of `cert`; requests without `bearer` get 401. */
/** `port`: 0 for any free one; a given one brings a stopped server back at its old address. */
export async function startProvisioningServer(address: string, cert: { certFile: string; keyFile: string }, bearer: string, port = 0): Promise<ProvisioningServer> {
  assertLoopback(address);
  const files = new Map<string, { body: Buffer; etag: string }>();
  const seen: SeenRequest[] = [];
  const server: Server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
    const path = req.url ?? '/';
    const authorization = req.headers.authorization;
    const ifNoneMatch = req.headers['if-none-match'];
    const answer = (status: number, body?: Buffer, etag?: string): void => {
      seen.push({ path, status, ...(authorization !== undefined ? { authorization } : {}), ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}) });
      res.writeHead(status, etag !== undefined ? { etag } : {});
      res.end(body);
    };
    if (authorization !== `Bearer ${bearer}`) return answer(401);
    const file = files.get(path);
    if (!file) return answer(404);
    if (ifNoneMatch === file.etag) return answer(304, undefined, file.etag);
    answer(200, file.body, file.etag);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `https://${address}:${bound}`,
    publish(path, document, signature) {
      const body = Buffer.from(document);
      files.set(path, { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });
      if (signature) files.set(`${path}.sig`, { body: signature, etag: '"sig"' });
    },
    requests: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
