// SIP over TLS against Kamailio's tls module, with certificates from a
// private CA made for the test: the door registers and calls when it trusts
// that CA (sip.tls_ca), and refuses a server whose certificate it cannot
// verify — another CA, or no pinned CA at all (the system's CAs do not know
// the test CA) — saying why in its status, never registering.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { makeCa, makeServerCert, type TestCa } from '../support/certs.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };

describe('SIP over TLS with certificate verification', { timeout: 90_000 }, () => {
  const tmp = makeTempDir('sip-tls-');
  let home: TestCa;
  let stranger: TestCa;
  let kam: Kamailio;
  let phone: Baresip;
  const doors: IntercomInstance[] = [];

  before(async () => {
    home = await makeCa(tmp.path, 'home');
    stranger = await makeCa(tmp.path, 'stranger');
    const cert = await makeServerCert(tmp.path, home, 'pbx', '127.0.0.1');
    kam = await startKamailio({ users: PASSWORDS, tls: cert });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
  });

  after(async () => {
    for (const d of doors) await d.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
    tmp.remove();
  });

  const door = async (tlsCa: string | undefined, waitRegistered: boolean) => {
    const d = await startIntercom(
      {
        sip: { server: `127.0.0.1:${kam.tlsPort}`, transport: 'tls', user: 'door', password: PASSWORDS.door, ...(tlsCa ? { tls_ca: tlsCa } : {}) },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
      },
      { waitRegistered },
    );
    doors.push(d);
    return d;
  };

  it('with the home CA pinned: registers over TLS and a press rings the phone', async () => {
    const d = await door(home.certFile, true);
    const contacts = await kam.contacts('door');
    assert.ok(contacts.some((c) => /transport=tls/i.test(c)), contacts.join(', '));
    const press = await d.cli('press');
    assert.equal(press.code, 0, press.stdout + press.stderr);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await d.status()).call?.state === 'active', { timeoutMs: 5000 });
    assert.equal((await d.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    assert.match(kam.logs() + d.logs(), /./);
    await d.terminate();
    doors.splice(doors.indexOf(d), 1);
  });

  for (const [label, ca] of [
    ['another CA pinned', () => stranger.certFile],
    ['no CA pinned (the system CAs do not know the server)', () => undefined],
  ] as const) {
    it(`${label}: the certificate is refused, the door never registers and says why`, async () => {
      const d = await door(ca(), false);
      const st = await waitUntil('failure reported', async () => {
        const s = await d.status();
        return s.registration.lastError ? s : undefined;
      }, { timeoutMs: 10_000, intervalMs: 100 });
      assert.equal(st.registered, false);
      assert.match(st.registration.lastError ?? '', /TLS: .*(certificate|self.signed)/i);
      assert.ok(!(await kam.contacts('door')).some((c) => c.includes(`:${d.port};`)), 'no binding of this door');
      assert.ok(!d.logs().includes(PASSWORDS.door));
      await d.terminate();
      doors.splice(doors.indexOf(d), 1);
    });
  }
});
