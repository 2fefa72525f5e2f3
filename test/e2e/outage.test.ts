// The registrar goes away and comes back (a PBX restart, a router reboot):
// the door notices, a press in the meantime fails with the cause logged, and
// the registration is back within seconds of the server's return — even
// though the restarted Kamailio (no database) has forgotten every binding.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { measureTone } from '../support/audio-measure.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };

describe('registrar outage over TCP', { timeout: 90_000 }, () => {
  let kam: Kamailio | undefined;
  let door: IntercomInstance;
  let port: number;
  const tmp = makeTempDir('outage-');
  const doorHeard = join(tmp.path, 'door-speaker.wav');

  before(async () => {
    port = await freePort('127.0.0.1');
    kam = await startKamailio({ users: PASSWORDS, port });
    door = await startIntercom({
      sip: { server: kam.hostport, transport: 'tcp', user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: `file:${doorHeard}` },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await kam?.stop();
    tmp.remove();
  });

  it('server stopped for 10 s and restarted empty: a press fails meanwhile, and the door is registered again within seconds of the return', async (t) => {
    assert.ok((await kam!.contacts('door')).length > 0);
    await kam!.stop();
    kam = undefined;
    await waitUntil('door notices', () => /event=sip\.server-lost/.test(door.logs()), { timeoutMs: 10_000, intervalMs: 50 });

    // A press during the outage: the call cannot be placed, the door says so.
    assert.equal((await door.cli('press')).code, 0);
    await waitUntil('call over', async () => (await door.status()).call === null, { timeoutMs: 10_000, intervalMs: 100 });
    assert.match(door.logs(), /level=warn event=call\.ended .*answered=false/);
    // ...and the visitor hears it: the failure signal (425 Hz) on the door's speaker.
    const signal = await waitUntil('failure signal played', async () => {
      const t = await measureTone(doorHeard, 425);
      return t.activeSeconds >= 0.4 ? t : undefined;
    }, { timeoutMs: 6000, intervalMs: 500 });
    t.diagnostic(`failure signal on the door speaker: ${signal.activeSeconds.toFixed(1)} s of 425 Hz`);

    await new Promise((r) => setTimeout(r, 10_000));
    kam = await startKamailio({ users: PASSWORDS, port });
    const back = Date.now();
    assert.deepEqual(await kam.contacts('door'), [], 'a restarted Kamailio has no bindings');
    await waitUntil('registered again', async () => (await kam!.contacts('door')).length > 0, { timeoutMs: 10_000, intervalMs: 100 });
    t.diagnostic(`registered again ${((Date.now() - back) / 1000).toFixed(1)} s after the server's return`);
    assert.match(door.logs(), /event=sip\.server-back/);
    assert.equal((await door.status()).registered, true);
  });
});
