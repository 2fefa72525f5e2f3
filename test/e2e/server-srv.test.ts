// sip.server given as a bare domain: DNS SRV (RFC 3263 §4.2, RFC 2782) names
// the registrar and its port. The door asks a DNS stub on loopback (its own
// resolv.conf in a private mount namespace), takes the record of the lowest
// priority, resolves its target, and registers there — on a port written
// nowhere in its config.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDnsStub, type DnsStub } from '../support/dns-stub.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret' };

describe('sip.server by DNS SRV', { timeout: 60_000 }, () => {
  const tmp = makeTempDir('server-srv-');
  let dns: DnsStub;
  let kam: Kamailio;
  let door: IntercomInstance;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    const unused = await freePort('127.0.0.1');
    dns = await startDnsStub('127.0.0.53', {
      srv: {
        '_sip._tcp.pbx.test': [
          { priority: 20, weight: 100, port: unused, target: 'backup.pbx.test' },
          { priority: 10, weight: 5, port: kam.port, target: 'kam.pbx.test' },
        ],
      },
      a: { 'kam.pbx.test': '127.0.0.1', 'backup.pbx.test': '127.0.0.1' },
    });
    const hosts = join(tmp.path, 'hosts');
    const resolv = join(tmp.path, 'resolv.conf');
    writeFileSync(hosts, '127.0.0.1 localhost\n');
    writeFileSync(resolv, 'nameserver 127.0.0.53\noptions timeout:1 attempts:2\n');
    door = await startIntercom(
      {
        sip: { server: 'pbx.test', transport: 'tcp', user: 'door', password: PASSWORDS.door },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
      },
      {
        wrap: ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', hosts, resolv],
      },
    );
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await kam?.stop();
    await dns?.stop();
    tmp.remove();
  });

  it('registers at the SRV target of the lowest priority, on the port the record gives', async () => {
    assert.equal((await door.status()).registered, true);
    assert.ok((await kam.contacts('door')).length > 0);
    assert.ok(dns.queries.includes('SRV _sip._tcp.pbx.test'), dns.queries.join(', '));
    assert.match(door.logs(), new RegExp(`event=sip\\.server-resolved host=pbx\\.test address=127\\.0\\.0\\.1 port=${kam.port}`));
  });
});
