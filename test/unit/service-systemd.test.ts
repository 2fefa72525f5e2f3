// The parts of the systemd link that need no systemd: when to ping the
// watchdog, the status line, notifications turned off, and the link's messages
// through a recording notifier.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StationStatus } from '../../src/intercom/station-api.ts';
import { createLogger, silentLogger } from '../../src/log/logger.ts';
import { switchableLogger } from '../../src/log/switchable.ts';
import { statusAssignment, systemdNotifier, type Notifier } from '../../src/service/sd-notify.ts';
import { serviceStatusLine } from '../../src/service/status-line.ts';
import { linkToSystemd } from '../../src/service/systemd-link.ts';
import { watchdogIntervalMs } from '../../src/service/watchdog.ts';

const status = (over: Partial<StationStatus> = {}): StationStatus => ({
  registered: true,
  registration: { state: 'registered' },
  call: null,
  door: { open: false, opened: 0 },
  ...over,
});

describe('watchdog interval', () => {
  it('is half of WATCHDOG_USEC, for this process only', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42), undefined, 'meant for another process');
    assert.equal(watchdogIntervalMs({}, 42), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42), undefined);
  });
});

describe('status line', () => {
  it('says registered, or why not, and the call', () => {
    assert.equal(serviceStatusLine(status()), 'registered');
    assert.equal(
      serviceStatusLine(status({ registered: false, registration: { state: 'failed', lastError: '403 Forbidden' } })),
      'not registered (failed: 403 Forbidden)',
    );
    assert.equal(
      serviceStatusLine(status({ call: { state: 'ringing', peer: 'sip:101@pbx', since: '' } })),
      'registered; call ringing with sip:101@pbx',
    );
    assert.equal(statusAssignment('a\nb'), 'STATUS=a b');
  });
});

describe('sd_notify', () => {
  it('is off without NOTIFY_SOCKET and never loads libsystemd then', () => {
    const n = systemdNotifier({}, () => {
      throw new Error('must not load');
    });
    assert.equal(n.enabled, false);
    assert.equal(n.notify('READY=1'), false);
  });

  it('says how to fix a missing libsystemd, in one line', () => {
    const n = systemdNotifier({ NOTIFY_SOCKET: '/run/systemd/notify' }, () => {
      throw new Error('libsystemd.so.0: cannot open shared object file\nmore');
    });
    assert.equal(n.enabled, false);
    assert.equal(n.problem, 'cannot load libsystemd.so.0 (libsystemd.so.0: cannot open shared object file); install libsystemd0');
  });

  it('the link sends READY with STATUS, reload and stop messages', () => {
    const sent: string[] = [];
    const notifier: Notifier = { enabled: true, notify: (s) => (sent.push(s), true) };
    let current = status({ registered: false, registration: { state: 'registering' } });
    const link = linkToSystemd(() => current, silentLogger(), { notifier, env: {} });
    link.ready();
    assert.deepEqual(sent, ['READY=1\nSTATUS=not registered (registering)']);
    current = status();
    link.reloading();
    link.reloaded();
    link.stopping();
    assert.match(sent[1] ?? '', /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading configuration$/);
    assert.equal(sent[2], 'READY=1\nSTATUS=registered');
    assert.equal(sent[3], 'STOPPING=1\nSTATUS=stopping');
  });
});

describe('switchable logger', () => {
  it('a child made before the switch writes at the new level afterwards', () => {
    const lines: string[] = [];
    const sink = { write: (s: string) => lines.push(s) };
    const logs = switchableLogger(createLogger({ level: 'info', format: 'json', stream: sink }));
    const child = logs.log.child({ component: 'sip' });
    child.debug('hidden');
    logs.switchTo(createLogger({ level: 'debug', format: 'json', stream: sink }));
    child.debug('shown', { password: 'pw' });
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(record['event'], 'shown');
    assert.equal(record['component'], 'sip');
    assert.equal(record['password'], '***');
  });
});
