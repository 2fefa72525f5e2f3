// The door's own TLS listener (sip.tls_cert, sip.tls_key, sip.tls_port):
// Kamailio, told to reach contacts at their Contact address rather than over
// the connection they registered on, opens a new TLS connection to the door
// and delivers a call from an allowed phone, which the door answers. Scanners
// knocking on the TLS port with garbage or plain-text SIP change nothing and
// cost one log line per source. A missing, foreign or mismatched certificate
// or key stops the start with one line naming the config key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { makeCa, makeServerCert, type TestCa, type TestServerCert } from '../support/certs.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { INTERCOM_BIN, startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const DOOR_ADDRESS = '127.0.0.2';

/** Connects from `from` to the listener, sends `bytes`, and waits until the door closes the connection. */
function knock(from: string, port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: DOOR_ADDRESS, port, localAddress: from }, () => s.write(bytes));
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

describe('TLS listener: the registrar reaches the door over a new TLS connection', { timeout: 120_000 }, () => {
  const tmp = makeTempDir('sip-tls-listener-');
  let home: TestCa;
  let pbxCert: TestServerCert;
  let doorCert: TestServerCert;
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance;
  let tlsPort: number;

  const sipConfig = (extra: Record<string, unknown>) => ({
    server: `127.0.0.1:${kam.tlsPort}`,
    transport: 'tls',
    user: 'door',
    password: PASSWORDS.door,
    tls_ca: home.certFile,
    ...extra,
  });

  before(async () => {
    home = await makeCa(tmp.path, 'home');
    pbxCert = await makeServerCert(tmp.path, home, 'pbx', '127.0.0.1');
    doorCert = await makeServerCert(tmp.path, home, 'door', DOOR_ADDRESS);
    kam = await startKamailio({ users: PASSWORDS, tls: pbxCert, contactsAsRegistered: true });
    tlsPort = await freePort(DOOR_ADDRESS);
    door = await startIntercom({
      sip: sipConfig({ tls_cert: doorCert.certFile, tls_key: doorCert.keyFile, tls_port: tlsPort }),
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      incoming: { enabled: true, allow: ['101'] },
    }, { address: DOOR_ADDRESS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('registers a Contact naming the listener, with a Via naming it too', async () => {
    const contacts = await kam.contacts('door');
    assert.ok(contacts.some((c) => c.includes(`@${DOOR_ADDRESS}:${tlsPort};transport=tls`)), contacts.join(', '));
    assert.match(kam.logs(), new RegExp(`recv REGISTER .* from tls:${DOOR_ADDRESS.replace(/\./g, '\\.')}:`));
    assert.match(door.logs(), new RegExp(`event=sip\\.listening address=127\\.0\\.0\\.2 port=${tlsPort} transport=tls accepts=tls`));
  });

  it('scanners sending garbage or plain-text SIP to the TLS port: the door stays up, one log line per source', async () => {
    const sip = Buffer.from(`OPTIONS sip:door@${DOOR_ADDRESS} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.6:5060;branch=z9hG4bKscan\r\nFrom: <sip:scan@127.0.0.6>;tag=1\r\nTo: <sip:door@${DOOR_ADDRESS}>\r\nCall-ID: scan\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
    for (let i = 0; i < 5; i++) {
      await knock('127.0.0.5', tlsPort, randomBytes(512));
      await knock('127.0.0.6', tlsPort, sip);
    }
    await waitUntil('both sources logged', () => /from=127\.0\.0\.5/.test(door.logs()) && /from=127\.0\.0\.6/.test(door.logs()), { timeoutMs: 5000, intervalMs: 50 });
    const lines = door.logs().split('\n').filter((l) => /event=sip\.tls-handshake-failed/.test(l));
    assert.equal(lines.filter((l) => l.includes('from=127.0.0.5')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('from=127.0.0.6')).length, 1, lines.join('\n'));
    assert.match(lines.join('\n'), /reason="wrong version number"/);
    assert.equal(door.process.hasExited(), false);
    assert.equal((await door.status()).registered, true);
  });

  it('a call from an allowed phone arrives over a new TLS connection from the registrar and is answered', async () => {
    const accepted = door.logs().split('\n').filter((l) => /event=sip\.tls-accepted/.test(l)).length;
    await phone.dial(`sip:door@${kam.hostport}`);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000).catch((e: Error) => {
      throw new Error(`${e.message}\n--- kamailio ---\n${kam.logs().slice(-4000)}\n--- door ---\n${door.logs().slice(-4000)}`);
    });
    await waitUntil('door in the call', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    const logs = door.logs();
    assert.match(logs, /event=call\.incoming-answered peer=sip:101@127\.0\.0\.1/);
    const newConnections = logs.split('\n').filter((l) => /event=sip\.tls-accepted from=127\.0\.0\.1:/.test(l));
    assert.ok(newConnections.length > accepted, 'Kamailio opened a connection to the listener');
    assert.match(kam.logs(), /recv INVITE sip:door@127\.0\.0\.1:\d+ from udp:127\.0\.0\.1:/);
    await phone.hangup();
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
  });

  it('an unreadable, foreign or mismatched certificate or key stops the start with one line naming the key', async () => {
    const garbage = join(tmp.path, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ tls_cert: join(tmp.path, 'absent.pem'), tls_key: doorCert.keyFile }, /error="sip\.tls_cert: cannot read \S+absent\.pem: no such file"/],
      [{ tls_cert: garbage, tls_key: doorCert.keyFile }, /error="sip\.tls_cert: \S+garbage\.pem is not a PEM certificate"/],
      [{ tls_cert: doorCert.certFile, tls_key: garbage }, /error="sip\.tls_key: \S+garbage\.pem is not an unencrypted PEM private key"/],
      [{ tls_cert: doorCert.certFile, tls_key: pbxCert.keyFile }, /error="sip\.tls_key: \S+pbx\.key is not the key of the certificate in sip\.tls_cert/],
    ];
    for (const [files, expected] of cases) {
      const config = join(tmp.path, 'bad.yaml');
      writeFileSync(config, JSON.stringify({
        sip: { ...sipConfig(files), listen: `${DOOR_ADDRESS}:0` },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
        control: { socket: join(tmp.path, 'bad.sock') },
      }), { mode: 0o600 });
      const r = await runCommand(process.execPath, [INTERCOM_BIN, 'run', '--config', config], { timeoutMs: 15_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const out = r.stdout + r.stderr;
      assert.match(out, expected);
      assert.ok(!/\n\s+at /.test(out), `no stack trace:\n${out}`);
    }
  });
});
