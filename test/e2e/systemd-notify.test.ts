// The station under systemd's Type=notify protocol, with a test-owned unix
// datagram socket standing in for systemd: READY=1 once it runs, STATUS= with
// the registration state, WATCHDOG=1 keep-alives from the event loop, and
// silence from the watchdog while the event loop is blocked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { startNotifySocket, type NotifySocket } from '../support/notify-socket.ts';
import { runCommand } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const WATCHDOG_CHILD = fileURLToPath(new URL('../support/watchdog-child.ts', import.meta.url));

describe('systemd notifications from the running station', { timeout: 60_000 }, () => {
  let kam: Kamailio;
  let notify: NotifySocket;
  let door: IntercomInstance;
  const CONFIG = { sip: { server: '', user: 'door', password: 'door-pw' }, buttons: [{ name: 'bell', call: ['101'] }] };

  before(async () => {
    kam = await startKamailio({ users: { door: 'door-pw' } });
    notify = await startNotifySocket();
    CONFIG.sip.server = kam.hostport;
    door = await startIntercom(
      CONFIG,
      // 400 ms watchdog: a keep-alive every 200 ms.
      { env: { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '400000' } },
    );
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await notify?.stop();
    await kam?.stop();
  });

  it('sends READY=1, then STATUS=registered and WATCHDOG=1 keep-alives', async () => {
    await notify.waitFor('READY=1', (a) => a === 'READY=1');
    await notify.waitFor('STATUS=registered', (a) => a === 'STATUS=registered');
    const ready = notify.messages().find((m) => m.split('\n').includes('READY=1'));
    assert.ok(ready?.split('\n').some((l) => l.startsWith('STATUS=')), `READY=1 comes with a STATUS= line: ${JSON.stringify(ready)}`);
    await notify.waitFor('a second WATCHDOG=1', () => notify.assignments().filter((a) => a === 'WATCHDOG=1').length >= 2);
    assert.match(door.logs(), /event=watchdog-enabled .*ping_ms=200/);
  });

  it('sends RELOADING=1 and READY=1 around a reload, and STOPPING=1 on SIGTERM', async () => {
    door.writeConfig({ ...CONFIG, calls: { ring_timeout: 20 } });
    const r = await door.cli('reload');
    assert.match(r.stdout, /calls\.ring_timeout/);
    assert.equal(r.code, 0, r.stderr);
    const seq = notify.assignments();
    const reloading = seq.lastIndexOf('RELOADING=1');
    assert.ok(reloading >= 0, `RELOADING=1 in ${JSON.stringify(seq)}`);
    assert.ok(seq.slice(reloading).includes('READY=1'), 'READY=1 after RELOADING=1');
    assert.ok(seq.some((a) => a.startsWith('MONOTONIC_USEC=')));
    assert.equal(await door.terminate(), 0);
    assert.ok(notify.assignments().includes('STOPPING=1'));
  });
});

describe('watchdog keep-alives come from the event loop', { timeout: 60_000 }, () => {
  it('stop while the event loop is blocked and resume after it', async () => {
    const notify = await startNotifySocket();
    try {
      const r = await runCommand(process.execPath, ['--import', 'tsx', WATCHDOG_CHILD, '1000'], {
        env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '200000' },
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 0, r.stderr);
      await notify.waitFor('STOPPING=1', (a) => a === 'STOPPING=1');
      const seq = notify.assignments().filter((a) => a === 'WATCHDOG=1' || a.startsWith('X_TEST='));
      const start = seq.indexOf('X_TEST=hang-start');
      const end = seq.indexOf('X_TEST=hang-end');
      assert.ok(start > 0 && end > start, JSON.stringify(seq));
      assert.ok(seq.slice(0, start).filter((a) => a === 'WATCHDOG=1').length >= 3, `keep-alives before the hang: ${JSON.stringify(seq)}`);
      // Five keep-alive periods went by during the hang, and not one keep-alive.
      assert.deepEqual(seq.slice(start + 1, end), [], 'no keep-alive while the event loop was blocked');
      assert.ok(seq.slice(end + 1).includes('WATCHDOG=1'), 'keep-alives resume once the loop runs again');
    } finally {
      await notify.stop();
    }
  });
});
