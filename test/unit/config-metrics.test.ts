import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.ts';

const withMetrics = (metrics: unknown) => validateConfig({ sip: { server: '127.0.0.1', user: 'door', password: 'secret' }, buttons: [{ name: 'bell', call: ['101'] }], metrics }, '/nonexistent');

test('metrics is off unless configured', () => {
  const r = validateConfig({ sip: { server: '127.0.0.1', user: 'door', password: 'secret' }, buttons: [{ name: 'bell', call: ['101'] }] }, '/nonexistent');
  assert.ok(r.ok);
  assert.equal(r.config.metrics, undefined);
});

test('metrics.listen takes address[:port] or a port; the port defaults to 9464', () => {
  const cases: Array<[unknown, { host?: string; port: number }]> = [
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['127.0.0.5', { host: '127.0.0.5', port: 9464 }],
    ['[::1]:9100', { host: '::1', port: 9100 }],
    [':9464', { port: 9464 }],
    [9500, { port: 9500 }],
  ];
  for (const [listen, expected] of cases) {
    const r = withMetrics({ listen });
    assert.ok(r.ok, JSON.stringify(listen));
    assert.deepEqual(r.config.metrics, { listen: expected });
  }
});

test('a bad metrics.listen is one line naming the key', () => {
  for (const listen of ['localhost:9464', '127.0.0.1:99999', '127.0.0.1:0', 0, '::1', true]) {
    const r = withMetrics({ listen });
    assert.ok(!r.ok, JSON.stringify(listen));
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(r.errors[0]!, /^metrics\.listen/);
  }
  const r = withMetrics({ listen: '127.0.0.1:9464', path: '/x' });
  assert.ok(!r.ok);
  assert.match(r.errors.join('\n'), /metrics/);
  const missing = withMetrics({});
  assert.ok(!missing.ok);
  assert.match(missing.errors[0]!, /^metrics\.listen/);
});
