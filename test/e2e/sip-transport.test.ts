// The SIP sockets on loopback: UDP and TCP both ways, and the failure modes of
// the `sip` package that our transport must not repeat.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { makeCa, makeServerCert } from '../support/certs.ts';
import { makeTempDir } from '../support/process.ts';
import { loadTlsIdentity } from '../../src/net/tls-identity.ts';
import { serializeMessage, type SipMessage, type SipRequest } from '../../src/sip/message.ts';
import { openSipTransport, TransportError, type SipTransport } from '../../src/net/sip-transport.ts';
import type { Endpoint } from '../../src/sip/transport-port.ts';
import { freePort, releasePort } from '../support/ports.ts';

const quiet = { debug() {}, info() {}, warn() {} };

function options(from: { address: string; port: number }, protocol: 'UDP' | 'TCP'): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: 'sip:peer@127.0.0.1',
    headers: {
      via: [{ version: '2.0', protocol, host: from.address, port: from.port, params: { branch: 'z9hG4bKt1', rport: null } }],
      from: { name: '"Tür"', uri: 'sip:door@127.0.0.1', params: { tag: 'a' } },
      to: { uri: 'sip:peer@127.0.0.1', params: {} },
      callId: 'transport-test',
      cseq: { seq: 1, method: 'OPTIONS' },
      other: {},
    },
    body: Buffer.from('grüße'),
  };
}

async function pair(host1: string, host2: string, tcp: boolean) {
  const got: Array<{ msg: SipMessage; source: Endpoint; at: string }> = [];
  const a: SipTransport = await openSipTransport({ host: host1, tcp, log: quiet, onMessage: (msg, source) => got.push({ msg, source, at: 'a' }) });
  const b: SipTransport = await openSipTransport({ host: host2, tcp, log: quiet, onMessage: (msg, source) => got.push({ msg, source, at: 'b' }) });
  return { a, b, got };
}

async function until(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SIP transport on loopback', () => {
  for (const protocol of ['UDP', 'TCP'] as const) {
    it(`${protocol}: a request and its response cross, with the real local address and UTF-8 intact`, async () => {
      const { a, b, got } = await pair('127.0.0.2', '127.0.0.3', protocol === 'TCP');
      try {
        const la = a.local(protocol);
        assert.equal(la.address, '127.0.0.2', 'never the hostname');
        a.send(options(la, protocol), { protocol, ...b.local(protocol) });
        await until(() => got.some((g) => g.at === 'b'));
        const req = got.find((g) => g.at === 'b')!;
        assert.equal(req.msg.kind, 'request');
        assert.equal(req.msg.headers.from.name, '"Tür"');
        assert.equal(req.msg.body.toString(), 'grüße');
        // Reply over UDP to the source; over TCP on the same connection.
        const res: SipMessage = { kind: 'response', status: 200, reason: 'OK', headers: req.msg.headers, body: Buffer.alloc(0) };
        b.send(res, req.source);
        await until(() => got.some((g) => g.at === 'a'));
        assert.equal(got.find((g) => g.at === 'a')!.msg.kind, 'response');
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('both ends on 127.0.0.1 work (the sip package threw a TypeError there)', async () => {
    const { a, b, got } = await pair('127.0.0.1', '127.0.0.1', true);
    try {
      a.send(options(a.local('TCP'), 'TCP'), { protocol: 'TCP', ...b.local('TCP') });
      await until(() => got.length > 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a port in use is a one-line error naming sip.listen, not an uncaught exception', async () => {
    const port = await freePort('127.0.0.2');
    releasePort(port);
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(port, '127.0.0.2', () => r()));
    try {
      await assert.rejects(
        openSipTransport({ host: '127.0.0.2', port, tcp: false, log: quiet, onMessage: () => {} }),
        (e: unknown) => e instanceof TransportError && /^sip\.listen 127\.0\.0\.2:\d+: address already in use/.test(e.message) && !e.message.includes('\n'),
      );
    } finally {
      squatter.close();
    }
  });

  it('garbage datagrams are dropped without disturbing the transport', async () => {
    const { a, b, got } = await pair('127.0.0.2', '127.0.0.3', false);
    const s = dgram.createSocket('udp4');
    try {
      for (const junk of ['\x00\x01\x02', 'INVITE\r\n\r\n', 'SIP/2.0 999999 X\r\n\r\n', '\r\n\r\n']) {
        await new Promise<void>((r) => s.send(Buffer.from(junk), b.local('UDP').port, '127.0.0.3', () => r()));
      }
      a.send(options(a.local('UDP'), 'UDP'), { protocol: 'UDP', ...b.local('UDP') });
      await until(() => got.length === 1);
    } finally {
      s.close();
      await a.close();
      await b.close();
    }
  });

  it('TLS listener: a request on a connection it accepted arrives as TLS, its answer goes back on it, and local(TLS) names the listener', async () => {
    const tmp = makeTempDir('transport-tls-');
    const ca = await makeCa(tmp.path, 'home');
    const cert = await makeServerCert(tmp.path, ca, 'door', '127.0.0.2');
    const tlsPort = await freePort('127.0.0.2');
    const got: Array<{ msg: SipMessage; source: Endpoint }> = [];
    const door = await openSipTransport({
      host: '127.0.0.2',
      tcp: false,
      log: quiet,
      limit: false,
      tls: { verifyName: '127.0.0.1' },
      tlsListen: { port: tlsPort, identity: loadTlsIdentity(cert.certFile, cert.keyFile) },
      onMessage: (msg, source) => got.push({ msg, source }),
    });
    const tcp = net.connect({ host: '127.0.0.2', port: tlsPort, localAddress: '127.0.0.3' });
    const client = tls.connect({ socket: tcp, ca: readFileSync(ca.certFile), checkServerIdentity: (_h, c) => tls.checkServerIdentity('127.0.0.2', c) });
    try {
      assert.deepEqual(door.local('TLS'), { address: '127.0.0.2', port: tlsPort });
      assert.notEqual(door.local('UDP').port, tlsPort);
      let received = '';
      client.on('data', (d: Buffer) => (received += d.toString('latin1')));
      await new Promise<void>((r) => client.once('secureConnect', () => r()));
      client.write(serializeMessage(options({ address: '127.0.0.3', port: 5061 }, 'TCP')));
      await until(() => got.length === 1);
      assert.equal(got[0]!.source.protocol, 'TLS');
      assert.equal(got[0]!.source.address, '127.0.0.3');
      const req = got[0]!.msg as SipRequest;
      door.send({ kind: 'response', status: 200, reason: 'OK', headers: req.headers, body: Buffer.alloc(0) }, got[0]!.source);
      await until(() => received.startsWith('SIP/2.0 200 OK'));
    } finally {
      client.destroy();
      await door.close();
      releasePort(tlsPort);
      tmp.remove();
    }
  });
});
