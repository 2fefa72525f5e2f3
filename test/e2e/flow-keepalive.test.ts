// CRLF keep-alives on SIP-over-TCP flows (RFC 5626 §4.4.1): Kamailio answers
// each double-CRLF ping with a pong and the flow stays; a peer that stops
// answering (a NAT that dropped the mapping, a hung server) is declared dead
// after the pong timeout and the owner is told, so the door registers again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { SipRequest } from '../../src/sip/message.ts';
import { openSipTransport } from '../../src/net/sip-transport.ts';
import type { Endpoint } from '../../src/sip/transport-port.ts';
import { startKamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';

const KEEPALIVE = { intervalMs: 200, pongTimeoutMs: 500 };

function options(from: { address: string; port: number }, to: string): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: `sip:${to}`,
    headers: {
      via: [{ version: '2.0', protocol: 'TCP', host: from.address, port: from.port, params: { branch: `z9hG4bK${Date.now()}`, rport: null } }],
      from: { uri: 'sip:door@127.0.0.2', params: { tag: 'a' } },
      to: { uri: `sip:${to}`, params: {} },
      callId: `ka-${Date.now()}`,
      cseq: { seq: 1, method: 'OPTIONS' },
      other: {},
    },
    body: Buffer.alloc(0),
  };
}

async function transport(events: string[]) {
  const lines: string[] = [];
  const t = await openSipTransport({
    host: '127.0.0.2',
    tcp: true,
    keepAlive: KEEPALIVE,
    log: { debug() {}, info: (e) => void lines.push(e), warn: (e) => void lines.push(e) },
    onMessage: (m) => void events.push(m.kind),
    onConnectionClosed: (r: Endpoint) => void events.push(`closed ${r.port}`),
  });
  return { t, lines };
}

describe('CRLF keep-alive on TCP flows', { timeout: 30_000 }, () => {
  it('Kamailio answers the pings: the flow lives through many intervals', async () => {
    const kam = await startKamailio({});
    const events: string[] = [];
    const { t, lines } = await transport(events);
    try {
      t.send(options(t.local('TCP'), kam.hostport), { protocol: 'TCP', address: kam.address, port: kam.port });
      await waitUntil('OPTIONS answered', () => events.includes('response'), { timeoutMs: 5000, intervalMs: 20 });
      // Ten ping intervals, each far longer than Kamailio needs to pong.
      await new Promise((r) => setTimeout(r, 10 * KEEPALIVE.intervalMs));
      assert.deepEqual(events.filter((e) => e.startsWith('closed')), []);
      assert.ok(!lines.includes('sip.flow-dead'));
    } finally {
      await t.close();
      await kam.stop();
    }
  });

  it('a peer that never pongs: the flow is declared dead and closed, the owner told', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => {
      held.push(s);
      s.on('data', () => {}); // reads everything, answers nothing
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    const events: string[] = [];
    const { t, lines } = await transport(events);
    try {
      t.send(options(t.local('TCP'), `127.0.0.1:${port}`), { protocol: 'TCP', address: '127.0.0.1', port });
      await waitUntil('flow declared dead', () => events.includes(`closed ${port}`), { timeoutMs: 5000, intervalMs: 20 });
      assert.ok(lines.includes('sip.flow-dead'));
    } finally {
      await t.close();
      for (const s of held) s.destroy();
      silent.close();
    }
  });
});
