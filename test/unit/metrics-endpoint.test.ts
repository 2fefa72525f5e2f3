import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { deferredControl } from '../../src/control/deferred-control.ts';
import { StationEvents } from '../../src/intercom/station-events.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startMetricsEndpoint, type MetricsEndpoint } from '../../src/metrics/server.ts';
import { freePort } from '../support/ports.ts';
import { parseExposition, sampleValue } from '../support/prom-text.ts';

const HOST = '127.0.0.1';
const lines: string[] = [];
const log = createLogger({ level: 'info', format: 'text', journal: false, stream: { write: (s: string) => lines.push(s) } });
const build = { version: '9.9.9', node: process.versions.node, startTimeS: 1 };

function fetch(port: number, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'x=1' : undefined);
  });
}

const open: MetricsEndpoint[] = [];
after(async () => {
  for (const e of open) await e.close();
});

test('GET /metrics answers the exposition text; events between scrapes are counted', async () => {
  const events = new StationEvents();
  const port = await freePort(HOST);
  const endpoint = await startMetricsEndpoint({ listen: { host: HOST, port }, status: deferredControl(() => undefined).status, events, build, buttons: ['front'], log });
  open.push(endpoint);
  assert.equal(endpoint.address.port, port);

  const first = await fetch(port, 'GET', '/metrics');
  assert.equal(first.status, 200);
  assert.equal(first.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  let p = parseExposition(first.body);
  assert.equal(sampleValue(p, 'intercom_sip_registration_state', { state: 'starting' }), 1);
  assert.equal(sampleValue(p, 'intercom_build_info', { version: '9.9.9', node: process.versions.node }), 1);

  events.emit({ type: 'history', entry: { at: new Date().toISOString(), kind: 'door-opened', by: 'command' } });
  p = parseExposition((await fetch(port, 'GET', '/metrics?x=1')).body);
  assert.equal(sampleValue(p, 'intercom_door_openings_total', { method: 'command' }), 1);
});

test('other paths are 404, other methods 405; nothing else is served', async () => {
  const port = await freePort(HOST);
  const endpoint = await startMetricsEndpoint({ listen: { host: HOST, port }, status: deferredControl(() => undefined).status, events: new StationEvents(), build, buttons: [], log });
  open.push(endpoint);
  assert.equal((await fetch(port, 'GET', '/')).status, 404);
  assert.equal((await fetch(port, 'GET', '/metrics/x')).status, 404);
  const post = await fetch(port, 'POST', '/metrics');
  assert.equal(post.status, 405);
  assert.equal(post.headers['allow'], 'GET');
  assert.equal((await fetch(port, 'PUT', '/metrics')).status, 405);
  assert.equal((await fetch(port, 'DELETE', '/metrics')).status, 405);
  assert.equal((await fetch(port, 'GET', '/metrics')).status, 200);
});

test('a port already in use is refused with one line naming metrics.listen', async () => {
  const port = await freePort(HOST);
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, HOST, resolve));
  try {
    await assert.rejects(
      startMetricsEndpoint({ listen: { host: HOST, port }, status: deferredControl(() => undefined).status, events: new StationEvents(), build, buttons: [], log }),
      (err: Error) => {
        assert.equal(err.message, `metrics.listen: ${HOST}:${port} is already in use by another program`);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test('after close the events no longer reach it and the port is free again', async () => {
  const events = new StationEvents();
  const port = await freePort(HOST);
  const endpoint = await startMetricsEndpoint({ listen: { host: HOST, port }, status: deferredControl(() => undefined).status, events, build, buttons: [], log });
  await endpoint.close();
  events.emit({ type: 'state' });
  await assert.rejects(fetch(port, 'GET', '/metrics'), /ECONNREFUSED/);
});
