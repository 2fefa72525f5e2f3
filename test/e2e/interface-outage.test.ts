// The door's network interface goes down and comes back (a cable pulled and
// plugged in again, a switch rebooting, Wi-Fi dropping): the station stays
// up and answering on its control socket, a press meanwhile fails with the
// cause logged, and the registration is back soon after the link is.
//
// Two private network namespaces joined by a veth pair: the door on one end,
// Kamailio on the other. Within one namespace the link would not matter,
// since traffic between local addresses always goes through loopback. The
// namespaces are created here, hold only these two addresses, and are
// deleted however the test ends, so nothing can reach outside this machine.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { runCommand, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const DOOR_NS = `intercom-ifdown-${process.pid}-door`;
const SERVER_NS = `intercom-ifdown-${process.pid}-srv`;
const DOOR_IF = 'door0';
const SERVER_IF = 'srv0';
const DOOR_ADDRESS = '10.213.0.1';
const SERVER_ADDRESS = '10.213.0.2';
const OUTAGE_MS = 6000;

async function ip(...args: string[]): Promise<void> {
  const r = await runCommand('ip', args, { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
}

async function setUpNetwork(): Promise<void> {
  await ip('netns', 'add', DOOR_NS);
  await ip('netns', 'add', SERVER_NS);
  for (const ns of [DOOR_NS, SERVER_NS]) await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await ip('-n', DOOR_NS, 'link', 'add', DOOR_IF, 'type', 'veth', 'peer', 'name', SERVER_IF);
  await ip('-n', DOOR_NS, 'link', 'set', SERVER_IF, 'netns', SERVER_NS);
  await ip('-n', DOOR_NS, 'addr', 'add', `${DOOR_ADDRESS}/24`, 'dev', DOOR_IF);
  await ip('-n', SERVER_NS, 'addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', SERVER_IF);
  await ip('-n', DOOR_NS, 'link', 'set', DOOR_IF, 'up');
  await ip('-n', SERVER_NS, 'link', 'set', SERVER_IF, 'up');
}

async function tearDownNetwork(): Promise<void> {
  // Deleting a namespace also deletes the veth pair; either may not exist yet.
  for (const ns of [DOOR_NS, SERVER_NS]) await ip('netns', 'delete', ns).catch(() => undefined);
}

describe('door network interface down and up', { timeout: 60_000 }, () => {
  let kam: Kamailio | undefined;
  let door: IntercomInstance | undefined;

  before(async () => {
    try {
      await setUpNetwork();
      kam = await startKamailio({ users: PASSWORDS, address: SERVER_ADDRESS, port: 5060, netns: SERVER_NS });
      door = await startIntercom(
        {
          sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
          buttons: [{ name: 'bell', call: ['101'] }],
          audio: { input: 'none', output: 'none' },
        },
        { address: DOOR_ADDRESS, port: 5060, wrap: ['ip', 'netns', 'exec', DOOR_NS] },
      );
    } catch (err) {
      await door?.terminate().catch(() => undefined);
      await kam?.stop();
      await tearDownNetwork();
      throw err;
    }
  });

  after(async () => {
    await door?.terminate().catch(() => undefined);
    await kam?.stop();
    await tearDownNetwork();
  });

  it(`interface down for ${OUTAGE_MS / 1000} s: the station survives, a press fails meanwhile, and it is registered again after the link returns`, async (t) => {
    const d = door!;
    const k = kam!;
    assert.ok((await k.contacts('door')).length > 0, 'registered before the outage');
    const logsBefore = d.logs().length;

    await ip('-n', DOOR_NS, 'link', 'set', 'dev', DOOR_IF, 'down');
    const downAt = Date.now();
    try {
      // A visitor rings while the link is down: the call cannot go out.
      assert.equal((await d.cli('press')).code, 0);
      await waitUntil('call over', async () => (await d.status()).call === null, { timeoutMs: OUTAGE_MS, intervalMs: 100 });
      const during = d.logs().slice(logsBefore);
      assert.match(during, /level=warn event=call\.ended .*answered=false/);
      // The failed call is what tells a UDP station, with no refresh due, that
      // the server is out of reach: from here it probes in short cycles.
      await waitUntil('door notices', () => /event=sip\.server-lost/.test(d.logs().slice(logsBefore)), { timeoutMs: OUTAGE_MS, intervalMs: 100 });
      const rest = OUTAGE_MS - (Date.now() - downAt);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      // Still running and answering, with the failure on record.
      assert.equal(d.process.hasExited(), false, `station exited:\n${d.logs()}`);
      const st = await d.status();
      t.diagnostic(`during the outage: registered=${st.registered} state=${st.registration.state}${st.registration.lastError ? ` lastError=${st.registration.lastError}` : ''}`);
    } finally {
      await ip('-n', DOOR_NS, 'link', 'set', 'dev', DOOR_IF, 'up');
    }
    const upAt = Date.now();
    const logsAtUp = d.logs().length;

    await waitUntil('server back', () => /event=sip\.server-back/.test(d.logs().slice(logsAtUp)), { timeoutMs: 20_000, intervalMs: 50 });
    // A fresh REGISTER answered after the return, not the binding from before the outage.
    await waitUntil('registered again', () => /event=(registered|registration\.refreshed) /.test(d.logs().slice(logsAtUp)), { timeoutMs: 20_000, intervalMs: 50 });
    t.diagnostic(`registered again ${((Date.now() - upAt) / 1000).toFixed(1)} s after the link came back up`);
    assert.equal((await d.status()).registered, true);
    assert.ok((await k.contacts('door')).length > 0, 'Kamailio has the binding');
    assert.equal(d.process.hasExited(), false);
  });
});
