// sip.server given as a DNS name, resolved through the system resolver with
// a private /etc/hosts (a mount namespace of the door's own; the machine's
// file is untouched): the door starts while the name does not resolve yet and
// registers once it does, then follows the name to a new address when the
// server there moves (a router handing the PBX a new lease).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret' };

describe('sip.server by name: /etc/hosts, not resolvable at start, address change', { timeout: 90_000 }, () => {
  const tmp = makeTempDir('server-dns-');
  const hosts = join(tmp.path, 'hosts');
  const setHosts = (line: string) => writeFileSync(hosts, `127.0.0.1 localhost\n${line}\n`);
  let old: Kamailio | undefined;
  let moved: Kamailio | undefined;
  let door: IntercomInstance;
  let port: number;

  before(async () => {
    setHosts('# pbx.test not known yet');
    port = await freePort('127.0.0.1');
    door = await startIntercom(
      {
        sip: { server: `pbx.test:${port}`, transport: 'tcp', user: 'door', password: PASSWORDS.door },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
      },
      {
        waitRegistered: false,
        // Bind-mounted over /etc/hosts in a private mount namespace: in-place
        // writes to the file are what the door's resolver sees.
        wrap: ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts],
      },
    );
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await old?.stop();
    await moved?.stop();
    tmp.remove();
  });

  it('starts although the name does not resolve, says so once, and registers once /etc/hosts knows it', async () => {
    await waitUntil('unresolved logged', () => /level=warn event=sip\.server-unresolved host=pbx\.test/.test(door.logs()), { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal((await door.status()).registered, false);
    old = await startKamailio({ users: PASSWORDS, port });
    setHosts('127.0.0.1 pbx.test');
    await waitUntil('registered', async () => (await door.status()).registered, { timeoutMs: 15_000, intervalMs: 100 });
    assert.ok((await old.contacts('door')).length > 0);
    assert.equal(door.logs().match(/level=warn event=sip\.server-unresolved/g)?.length, 1, 'one line, not one per attempt');
  });

  it('follows the name to a new address when the server moves', async () => {
    moved = await startKamailio({ users: PASSWORDS, port, address: '127.0.0.3' });
    setHosts('127.0.0.3 pbx.test');
    await old!.stop();
    old = undefined;
    await waitUntil('registered at the new address', async () => (await moved!.contacts('door')).length > 0, { timeoutMs: 20_000, intervalMs: 100 });
    assert.match(door.logs(), /event=sip\.server-moved host=pbx\.test from=127\.0\.0\.1 to=127\.0\.0\.3/);
    assert.equal((await door.status()).registered, true);
  });
});
