// The registrar watch: OPTIONS keep-alives while the server answers, short
// probe cycles while it does not, and an immediate REGISTER on its first
// answer — instead of waiting out a back-off that has grown meanwhile.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/sip/authenticator.ts';
import { Registration } from '../../src/sip/registration.ts';
import { ServerMonitor, SERVER_MONITOR_DEFAULTS } from '../../src/sip/server-monitor.ts';
import { makeUa, quietLog, reply, requests, SERVER } from './sip-harness.ts';

const noAuth: Authenticator = { answer: () => ({ ok: false, rejected: false, error: 'no challenge expected' }) };

function setup() {
  const h = makeUa();
  let monitor: ServerMonitor | undefined;
  const reg = new Registration(h.ua, { expires: 600, auth: noAuth, log: quietLog, random: () => 0.5, onUnreachable: (r) => monitor!.markDown(r) });
  monitor = new ServerMonitor(h.ua, { ...SERVER_MONITOR_DEFAULTS, log: quietLog, onBack: () => reg.retryNow() });
  const registerSeqs = () => new Set(requests(h.sent, 'REGISTER').map((r) => r.headers.cseq.seq));
  const optionsSeqs = () => new Set(requests(h.sent, 'OPTIONS').map((r) => r.headers.cseq.seq));
  return { ...h, reg, monitor, registerSeqs, optionsSeqs };
}

describe('server monitor and registration after an outage', () => {
  it('registrar silent for 3 minutes: probes every 5 s, REGISTER goes out on the first answer, not after the back-off', () => {
    const { ua, timers, reg, monitor, sent, registerSeqs } = setup();
    monitor.start();
    reg.start();
    // The server is gone: the first REGISTER times out (Timer F, 32 s).
    timers.advance(32_000);
    assert.equal(reg.status.state, 'failed');
    assert.equal(monitor.serverDown, true);
    // Three minutes of silence: the back-off grows, the probes keep their pace.
    timers.advance(180_000);
    const optionsTimes = requests(sent, 'OPTIONS').length;
    assert.ok(optionsTimes >= 36 * 3, `${optionsTimes} OPTIONS packets in 3 minutes`);
    const regsBefore = registerSeqs().size;
    // The server returns and answers the current probe (even 405 proves it is up).
    const probe = requests(sent, 'OPTIONS').at(-1)!;
    ua.receive(reply(probe, 405, 'Method Not Allowed', { toTag: 's' }), SERVER);
    assert.equal(monitor.serverDown, false);
    assert.equal(registerSeqs().size, regsBefore + 1, 'REGISTER sent at once');
    const register = requests(sent, 'REGISTER').at(-1)!;
    ua.receive(reply(register, 200, 'OK', { toTag: 't', headers: { expires: 600 } }), SERVER);
    assert.equal(reg.status.state, 'registered');
    // Back to the keep-alive pace: one new OPTIONS per 25 s.
    const n = requests(sent, 'OPTIONS').length;
    timers.advance(25_000);
    assert.equal(requests(sent, 'OPTIONS').length, n + 1);
  });

  it('a registrar that restarts while we are registered: the lost probe and its return renew the binding at once', () => {
    const { ua, timers, reg, monitor, sent, registerSeqs, optionsSeqs } = setup();
    monitor.start();
    reg.start();
    ua.receive(reply(requests(sent, 'REGISTER').at(-1)!, 200, 'OK', { toTag: 't', headers: { expires: 3600 } }), SERVER);
    assert.equal(reg.status.state, 'registered');
    // Keep-alives answered.
    for (let i = 0; i < 3; i++) {
      timers.advance(25_000);
      ua.receive(reply(requests(sent, 'OPTIONS').at(-1)!, 200, 'OK', { toTag: 's' }), SERVER);
    }
    assert.equal(optionsSeqs().size, 3);
    // The server goes away: the next probe times out, short cycles begin.
    timers.advance(25_000 + 32_000);
    assert.equal(monitor.serverDown, true);
    timers.advance(60_000);
    const regs = registerSeqs().size;
    assert.equal(reg.status.state, 'registered', 'the binding is not due yet');
    ua.receive(reply(requests(sent, 'OPTIONS').at(-1)!, 200, 'OK', { toTag: 's' }), SERVER);
    assert.equal(registerSeqs().size, regs + 1, 'REGISTER renewed at once');
  });

  it('stop ends the probe and its timers', () => {
    const { timers, monitor, ua } = setup();
    monitor.start();
    timers.advance(25_000);
    monitor.stop();
    assert.equal(ua.transactionCount, 0);
    assert.equal(timers.size, 0);
  });
});
