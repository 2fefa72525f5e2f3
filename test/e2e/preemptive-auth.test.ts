// Pre-emptive digest credentials against the real Kamailio: once an INVITE
// has been challenged (407), the next press sends its INVITE with
// Proxy-Authorization for the same nonce and the next nonce count (RFC 3261
// §22.3, RFC 7616 §3.4), and Kamailio, checking nonce counts, lets it through
// without a second 407. The visitor saves a round trip on every later press.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };

// Kamailio's log prefix is "{msg-type CSeq Call-ID} ".
interface Line {
  cseq: string;
  callId: string;
  text: string;
}
function lines(kam: Kamailio): Line[] {
  const out: Line[] = [];
  for (const l of kam.logs().split('\n')) {
    const m = /\{\d+ (\d+ \w+) (\S+)\} (?:<script>: )?(.*)$/.exec(l);
    if (m) out.push({ cseq: m[1]!, callId: m[2]!, text: m[3]! });
  }
  return out;
}

describe('pre-emptive digest credentials on INVITE', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS, nonceCount: true });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: false });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
  });

  // Presses, waits for the phone to ring, hangs up; returns the door's INVITEs of that call as Kamailio saw them.
  async function ringOnce(): Promise<{ invites: string[]; challenged: string[] }> {
    const before = new Set(lines(kam).map((l) => l.callId));
    assert.equal((await door.cli('press')).code, 0);
    await phone.waitForEvent('CALL_INCOMING', 10_000);
    await waitUntil('door ringing', async () => (await door.status()).call?.state === 'ringing', { timeoutMs: 5000 });
    assert.equal((await door.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    const fromDoor = lines(kam).filter((l) => !before.has(l.callId) && l.text.startsWith('recv INVITE') && l.text.includes(`:${door.port}`));
    const callId = fromDoor[0]?.callId;
    assert.ok(callId, `no INVITE from the door in Kamailio's log:\n${kam.logs().split('\n').filter((l) => l.includes('INVITE')).slice(-8).join('\n')}`);
    const mine = lines(kam).filter((l) => l.callId === callId);
    return {
      invites: mine.filter((l) => l.text.startsWith('recv INVITE')).map((l) => l.cseq),
      challenged: mine.filter((l) => l.text.startsWith('auth failed for door')).map((l) => `${l.cseq}: ${l.text}`),
    };
  }

  it('the first press is challenged once; later presses carry credentials Kamailio accepts at once', async () => {
    await waitUntil('registered', async () => (await door.status()).registered, { timeoutMs: 10_000 });
    const first = await ringOnce();
    assert.deepEqual(first.invites, ['1 INVITE', '2 INVITE']);
    assert.equal(first.challenged.length, 1, first.challenged.join('\n'));
    for (let press = 2; press <= 3; press++) {
      const later = await ringOnce();
      assert.deepEqual(later.invites, ['1 INVITE'], `press ${press}: one INVITE, no 407`);
      assert.deepEqual(later.challenged, [], `press ${press}`);
    }
  });
});
