// The metrics endpoint: the one HTTP socket of the station. It only reads:
// events feed the counters (station-metrics.ts), a scrape renders them, and
// nothing a client sends can reach the door. GET /metrics only; small, bounded
// requests and answers, with timeouts, so a stuck or hostile client costs a
// socket and nothing more.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StationStatus } from '../intercom/station-api.ts';
import type { StationEvents } from '../intercom/station-events.ts';
import type { Logger } from '../log/logger.ts';
import { EXPOSITION_CONTENT_TYPE } from './exposition.ts';
import { StationMetrics, type BuildInfo } from './station-metrics.ts';

export interface MetricsEndpoint {
  /** Where it listens (the port the system picked when the config named none). */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** A start-up failure with a message fit to show as is (it names the config key). */
export class MetricsEndpointError extends Error {
  override name = 'MetricsEndpointError';
}

export interface MetricsEndpointOptions {
  listen: { host?: string; port: number };
  /** The running station's status (the process's control, which follows reloads). */
  status: () => StationStatus;
  events: StationEvents;
  build: BuildInfo;
  /** Configured button names, so their counters show from the start. */
  buttons: readonly string[];
  log: Logger;
}

const MAX_CONNECTIONS = 16;

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function describeListenError(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `metrics.listen: ${where} is already in use by another program`;
    case 'EADDRNOTAVAIL':
      return `metrics.listen: ${where} is not an address of this machine`;
    case 'EACCES':
      return `metrics.listen: ${where} needs privileges this user does not have (use a port above 1023)`;
    default:
      return `metrics.listen: cannot listen on ${where}: ${err.code ?? err.message}`;
  }
}

/** Starts counting and serving; rejects with a MetricsEndpointError when the address cannot be bound. */
export async function startMetricsEndpoint(opts: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const metrics = new StationMetrics(opts.build, opts.buttons);
  const unsubscribe = opts.events.subscribe((event) => metrics.observe(event, opts.status()));
  let renderFailed = false;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    // Nothing is read from the request; a body a client sends is discarded with the connection.
    if (path !== '/metrics') return reply(res, 404, 'not found: the metrics are at /metrics\n', req.method === 'GET' ? {} : { Connection: 'close' });
    if (req.method !== 'GET') return reply(res, 405, 'method not allowed: use GET\n', { Allow: 'GET', Connection: 'close' });
    let body: string;
    try {
      body = metrics.render(opts.status());
    } catch (err) {
      if (!renderFailed) opts.log.warn('metrics.render-failed', { error: (err as Error).message });
      renderFailed = true;
      return reply(res, 500, 'the metrics could not be rendered\n');
    }
    reply(res, 200, body, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Cache-Control': 'no-store' });
  };

  const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, handle);
  server.maxConnections = MAX_CONNECTIONS;
  // A client that stops reading mid-answer is dropped, never kept waiting on.
  server.on('connection', (socket) => socket.setTimeout(10_000, () => socket.destroy()));
  server.on('clientError', (_err, socket) => socket.destroy());
  const where = `${opts.listen.host?.includes(':') ? `[${opts.listen.host}]` : (opts.listen.host ?? '*')}:${opts.listen.port}`;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: opts.listen.port, ...(opts.listen.host !== undefined ? { host: opts.listen.host } : {}) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    unsubscribe();
    throw new MetricsEndpointError(describeListenError(err as NodeJS.ErrnoException, where));
  }
  server.on('error', (err) => opts.log.warn('metrics.server-error', { error: err.message }));
  const address = server.address() as AddressInfo;
  opts.log.info('metrics.listening', { address: address.address, port: address.port });

  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
