// What a config reload does: the plan (in place, restart the station, restart
// the service), the door taking new settings in place, and the reloader
// keeping the running config when the new one is invalid or does not start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, type ConfigResult } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { Door, type DoorSettings } from '../../src/intercom/door.ts';
import { changedPaths, describePlan, planReload } from '../../src/intercom/reload.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { createReloader, type ReloadHost } from '../../src/service/reloader.ts';

const BASE = {
  sip: { server: 'pbx.home.arpa', user: 'door', password: 'pw' },
  buttons: [{ name: 'bell', call: ['101'] }],
  door: { codes: ['7394'] },
};

function config(over: Record<string, unknown> = {}): Config {
  const r = validateConfig({ ...BASE, ...over }, '/tmp');
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

describe('reload plan', () => {
  it('no changes, no work', () => {
    const plan = planReload(config(), config());
    assert.deepEqual(plan.changed, []);
    assert.equal(describePlan(plan), 'no changes');
  });

  it('door settings, buttons, call timeouts, codecs and log level change in place', () => {
    const plan = planReload(
      config(),
      config({
        buttons: [{ name: 'bell', call: ['101', '102'] }, { name: 'gate', call: ['103'] }],
        door: { codes: ['55667788'], open_ms: 500 },
        calls: { ring_timeout: 10 },
        log: { level: 'debug' },
        audio: { codecs: ['PCMA'] },
      }),
    );
    assert.deepEqual(plan.restartStation, []);
    assert.deepEqual(plan.needsServiceRestart, []);
    for (const key of ['buttons', 'buttons[0].call', 'door.codes', 'door.open_ms', 'calls.ring_timeout', 'log.level', 'audio.codecs']) {
      assert.ok(plan.inPlace.includes(key), `${key} in ${JSON.stringify(plan.inPlace)}`);
    }
    assert.doesNotMatch(describePlan(plan), /55667788|7394/, 'a summary names keys, never values');
  });

  it('SIP settings, audio devices and GPIO lines restart the station', () => {
    const plan = planReload(
      config(),
      config({
        sip: { ...BASE.sip, password: 'new' },
        audio: { input: 'file:/tmp/x.wav' },
        buttons: [{ name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: 17 } }],
      }),
    );
    assert.ok(plan.restartStation.includes('sip.password'));
    assert.ok(plan.restartStation.includes('audio.input'));
    assert.ok(plan.restartStation.some((k) => k.startsWith('buttons[0].gpio')), JSON.stringify(plan.restartStation));
    assert.match(describePlan(plan), /re-registered for: .*sip\.password/);
  });

  it('a button with a GPIO line added at the end restarts the station', () => {
    const plan = planReload(config(), config({ buttons: [...BASE.buttons, { name: 'gate', call: ['102'], gpio: { chip: 'gpiochip0', line: 22 } }] }));
    assert.ok(plan.inPlace.includes('buttons'));
    assert.ok(plan.restartStation.some((k) => k.startsWith('buttons[1].gpio')), JSON.stringify(plan));
  });

  it('control.socket needs a service restart', () => {
    const plan = planReload(config(), config({ control: { socket: '/run/other.sock' } }));
    assert.deepEqual(plan.needsServiceRestart, ['control.socket']);
    assert.match(describePlan(plan), /systemctl restart intercom/);
  });

  it('metrics, turned on or moved, needs a service restart (the endpoint keeps the address it started with)', () => {
    const on = planReload(config(), config({ metrics: { listen: '127.0.0.1:9464' } }));
    assert.deepEqual(on.needsServiceRestart, ['metrics']);
    const moved = planReload(config({ metrics: { listen: '127.0.0.1:9464' } }), config({ metrics: { listen: '127.0.0.1:9465' } }));
    assert.deepEqual(moved.needsServiceRestart, ['metrics.listen.port']);
    assert.deepEqual(moved.restartStation, []);
  });

  it('changedPaths compares scalar lists as one value and objects key by key', () => {
    assert.deepEqual(changedPaths({ a: [1, 2], b: { c: 1 } }, { a: [1, 3], b: { c: 1, d: 2 } }), ['a', 'b.d']);
  });
});

describe('door reconfigure', () => {
  const settings: DoorSettings = {
    buttons: [{ name: 'bell', targets: ['sip:101@pbx'] }],
    ringTimeoutMs: 30_000,
    maxDurationMs: 300_000,
    openMs: 3000,
    codes: ['7394'],
  };

  function answered(d: Door): void {
    d.handle({ type: 'press' }, 0);
    d.handle({ type: 'leg-answered', leg: 1 }, 10);
  }
  const key = (d: Door, digits: string): void => {
    for (const digit of digits) d.handle({ type: 'dtmf', digit }, 20);
  };

  it('a new button and new codes apply, and the opening count survives', () => {
    const d = new Door(settings);
    answered(d);
    key(d, '7394');
    assert.equal(d.snapshot().door.opened, 1);
    d.handle({ type: 'hangup' }, 30);

    d.reconfigure({ ...settings, buttons: [...settings.buttons, { name: 'gate', targets: ['sip:102@pbx'] }], codes: ['1357'] });
    const dial = d.handle({ type: 'press', button: 'gate' }, 40_000).find((a) => a.type === 'dial');
    assert.deepEqual(dial, { type: 'dial', leg: 2, target: 'sip:102@pbx' });
    d.handle({ type: 'leg-answered', leg: 2 }, 40_010);
    key(d, '7394');
    assert.equal(d.snapshot().door.opened, 1, 'the old code no longer opens');
    key(d, '1357');
    assert.equal(d.snapshot().door.opened, 2, 'the new code opens');
  });

  it('a call in progress stays up across a reconfigure', () => {
    const d = new Door(settings);
    answered(d);
    d.reconfigure({ ...settings, openMs: 500 });
    assert.equal(d.snapshot().call?.state, 'active');
    const open = d.handle({ type: 'open', by: 'command' }, 50).find((a) => a.type === 'start-timer');
    assert.deepEqual(open, { type: 'start-timer', name: 'door', ms: 500 });
  });
});

describe('reloader', () => {
  function host(initial: Config, files: ConfigResult[], startFails: (c: Config) => boolean = () => false) {
    let running = initial;
    const calls: string[] = [];
    const h: ReloadHost = {
      load: () => files.shift() ?? { ok: true, config: running, warnings: [] },
      config: () => running,
      setConfig: (next) => {
        running = next;
      },
      applyInPlace: () => {
        calls.push('in-place');
        return true;
      },
      restartStation: async (next) => {
        calls.push(`restart:${next.sip.password}`);
        if (startFails(next)) throw new Error('cannot bind 192.0.2.1:5060');
      },
      applyLogging: (next) => calls.push(`log:${next.log.level}`),
      reloading: () => calls.push('RELOADING'),
      reloaded: () => calls.push('READY'),
    };
    return { h, calls, running: () => running };
  }

  it('refuses an invalid file and keeps the running config, touching nothing', async () => {
    const t = host(config(), [{ ok: false, errors: ['buttons: must not be empty', 'sip.user: required'] }]);
    const r = await createReloader(t.h, silentLogger()).reload('test');
    assert.deepEqual(r, { ok: false, error: 'the config is invalid, still running the previous one: buttons: must not be empty; sip.user: required' });
    assert.deepEqual(t.calls, []);
  });

  it('applies door changes in place', async () => {
    const next = config({ door: { codes: ['1357'] } });
    const t = host(config(), [{ ok: true, config: next, warnings: [] }]);
    const r = await createReloader(t.h, silentLogger()).reload('test');
    assert.ok(r.ok);
    assert.deepEqual(t.calls, ['RELOADING', 'log:info', 'in-place', 'READY']);
    assert.deepEqual(t.running().door.codes, ['1357']);
  });

  it('restarts for a SIP change, and restarts the previous config when the new one does not start', async () => {
    const next = config({ sip: { ...BASE.sip, password: 'new' } });
    const t = host(config(), [{ ok: true, config: next, warnings: [] }], (c) => c.sip.password === 'new');
    const r = await createReloader(t.h, silentLogger()).reload('test');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /did not start \(cannot bind 192\.0\.2\.1:5060\); running the previous one/);
    assert.deepEqual(t.calls, ['RELOADING', 'log:info', 'restart:new', 'log:info', 'restart:pw', 'READY']);
    assert.equal(t.running().sip.password, 'pw');
  });

  it('runs one reload at a time', async () => {
    const t = host(config(), [
      { ok: true, config: config({ door: { codes: ['1357'], open_ms: 900 } }), warnings: [] },
      { ok: true, config: config({ door: { codes: ['2468'] } }), warnings: [] },
    ]);
    const reloader = createReloader(t.h, silentLogger());
    const [a, b] = await Promise.all([reloader.reload('a'), reloader.reload('b')]);
    assert.ok(a.ok && b.ok);
    assert.deepEqual(t.calls, ['RELOADING', 'log:info', 'in-place', 'READY', 'RELOADING', 'log:info', 'in-place', 'READY']);
    assert.deepEqual(t.running().door.codes, ['2468']);
  });
});
