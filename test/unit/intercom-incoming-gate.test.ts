// The gate in front of incoming INVITEs, fed like the network would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { incomingGate } from '../../src/intercom/incoming-calls.ts';
import { makeUa, quietLog, responses, SERVER } from './sip-harness.ts';

function config(): Config {
  const r = validateConfig(
    { sip: { server: '127.0.0.1', user: 'door', password: 'x' }, buttons: [{ name: 'bell', call: ['101'] }], incoming: { enabled: true, allow: ['101'] } },
    '/nonexistent',
  );
  assert.ok(r.ok);
  return r.config;
}

function invite(branch: string): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:door@127.0.0.2:5070',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.5', port: 5060, params: { branch } }],
      from: { uri: 'sip:101@127.0.0.1', params: { tag: 'x' } },
      to: { uri: 'sip:door@127.0.0.2', params: {} },
      callId: `${branch}@scanner`,
      cseq: { seq: 1, method: 'INVITE' },
      other: {},
    },
    body: Buffer.alloc(0),
  };
}

test('a stranger gets one 403, no retransmissions and no lingering transaction; the registrar\'s callers reach the station', () => {
  const { ua, sent, timers } = makeUa();
  const allowed: string[] = [];
  const refused: string[] = [];
  ua.onIncomingInvite = incomingGate({
    config: config(),
    ua,
    log: quietLog,
    registrar: () => SERVER.address,
    onAllowed: (_req, tx, caller) => {
      allowed.push(caller);
      tx.respond(ua.makeResponse(_req, 486, 'Busy Here'));
    },
    onRefused: (_from, source, reason) => refused.push(`${source} ${reason}`),
  });
  const stranger = { protocol: 'UDP' as const, address: '127.0.0.5', port: 5060 };
  ua.receive(invite('z9hG4bKscan1'), stranger);
  assert.deepEqual(responses(sent).map((r) => r.status), [403]);
  assert.equal(ua.transactionCount, 0);
  timers.advance(40_000);
  assert.equal(responses(sent).length, 1, 'no Timer G retransmissions toward a possibly spoofed source');
  assert.deepEqual(refused, ['127.0.0.5 not-from-registrar']);
  assert.deepEqual(allowed, []);

  ua.receive(invite('z9hG4bKreal1'), SERVER);
  assert.deepEqual(allowed, ['sip:101@127.0.0.1']);
});
