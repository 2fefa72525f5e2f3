import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/sip/authenticator.ts';
import { Registration, refreshDelayMs, type RegistrationStatus } from '../../src/sip/registration.ts';
import { makeUa, quietLog, reply, requests, SERVER } from './sip-harness.ts';

// The state machine's view of digest: a challenge is answered unless its
// nonce is the one already answered, which the real authenticator reports as
// rejected credentials.
function testAuth(): Authenticator {
  let lastNonce: string | undefined;
  return {
    answer: (res) => {
      const nonce = res.headers.wwwAuthenticate?.[0]?.params.nonce;
      if (nonce !== undefined && nonce === lastNonce) return { ok: false, rejected: true, error: 'rejected' };
      lastNonce = nonce;
      return { ok: true, proxy: res.status === 407, header: { scheme: 'Digest', params: { username: 'door', response: 'x' } } };
    },
  };
}
const challenge = (nonce: string) => ({ wwwAuthenticate: [{ scheme: 'Digest', params: { realm: 'r', nonce } }] });

/** REGISTER requests sent, retransmissions counted once. */
function registers(sent: Parameters<typeof requests>[0]) {
  return new Set(requests(sent, 'REGISTER').map((r) => r.headers.cseq.seq)).size;
}

function setup(expires = 600) {
  const h = makeUa();
  const states: RegistrationStatus[] = [];
  const reg = new Registration(h.ua, { expires, auth: testAuth(), log: quietLog, onChange: (s) => states.push(s), random: () => 0.5 });
  return { ...h, reg, states, last: () => requests(h.sent, 'REGISTER').at(-1)! };
}

describe('registration (RFC 3261 §10)', () => {
  it('answers the 401 challenge, registers, and refreshes before the granted expiry', () => {
    const { ua, reg, last, sent, timers } = setup();
    reg.start();
    const first = last();
    assert.equal(first.uri, 'sip:127.0.0.1');
    assert.equal(first.headers.expires, 600);
    assert.equal(first.headers.contact !== '*' && first.headers.contact?.[0]?.uri, 'sip:door@127.0.0.2:5070');
    ua.receive(reply(first, 401, 'Unauthorized', { toTag: 't' }), SERVER);
    const second = last();
    assert.ok(second.headers.authorization?.length, 'authorised retry');
    assert.equal(second.headers.callId, first.headers.callId, 'same Call-ID (§10.2.4)');
    assert.equal(second.headers.cseq.seq, first.headers.cseq.seq + 1);
    const contact = second.headers.contact !== '*' ? second.headers.contact![0]! : undefined;
    ua.receive(reply(second, 200, 'OK', { toTag: 't', headers: { contact: [{ ...contact!, params: { expires: '120' } }] } }), SERVER);
    assert.equal(reg.status.state, 'registered');
    assert.equal(reg.status.expires, 120);
    const before = requests(sent, 'REGISTER').length;
    timers.advance(refreshDelayMs(120) - 1);
    assert.equal(requests(sent, 'REGISTER').length, before);
    timers.advance(1);
    assert.equal(requests(sent, 'REGISTER').length, before + 1, 'refresh sent');
    assert.ok(refreshDelayMs(120) <= 90_000 && refreshDelayMs(3600) <= 3570_000);
  });

  it('takes Min-Expires from a 423 and retries at once', () => {
    const { ua, reg, last } = setup(60);
    reg.start();
    ua.receive(reply(last(), 423, 'Interval Too Brief', { toTag: 't', headers: { other: { 'min-expires': ['900'] } } }), SERVER);
    assert.equal(last().headers.expires, 900);
  });

  it('a rejected password ends in "authentication failed" and backs off instead of storming', () => {
    const { ua, reg, last, sent, timers } = setup();
    reg.start();
    // The server challenges each answer again with the same nonce: the password is wrong.
    ua.receive(reply(last(), 401, 'Unauthorized', { toTag: 't', headers: challenge('n1') }), SERVER);
    ua.receive(reply(last(), 401, 'Unauthorized', { toTag: 't', headers: challenge('n1') }), SERVER);
    assert.equal(reg.status.state, 'failed');
    assert.match(reg.status.lastError ?? '', /authentication failed/);
    const afterFailure = registers(sent);
    // Keep rejecting for ten minutes: only a handful of attempts.
    let answered = afterFailure;
    for (let t = 0; t < 600; t++) {
      timers.advance(1000);
      if (registers(sent) > answered) {
        answered = registers(sent);
        ua.receive(reply(last(), 401, 'Unauthorized', { toTag: 't', headers: challenge('n1') }), SERVER);
      }
    }
    const attempts = registers(sent) - afterFailure;
    assert.ok(attempts > 0 && attempts <= 6, `${attempts} REGISTERs in 10 minutes`);
    // Every failed attempt is counted (for the metrics), though the log names the cause only once.
    assert.equal(reg.status.failures, 1 + attempts);
  });

  it('retries after a timeout with growing, capped delays, and recovers', () => {
    const { ua, reg, last, sent, timers } = setup();
    reg.start();
    timers.advance(32_100); // Timer F: no answer
    assert.equal(reg.status.state, 'failed');
    assert.match(reg.status.lastError ?? '', /timeout/);
    const n = registers(sent);
    timers.advance(2500);
    assert.ok(registers(sent) > n, 'first retry within seconds');
    ua.receive(reply(last(), 200, 'OK', { toTag: 't' }), SERVER);
    assert.equal(reg.status.state, 'registered');
    assert.equal(reg.status.lastError, undefined);
    assert.equal(reg.status.failures, 1, 'the count of failures stays after a success');
  });

  it('honours Retry-After on 503', () => {
    const { ua, reg, last, sent, timers } = setup();
    reg.start();
    ua.receive(reply(last(), 503, 'Service Unavailable', { toTag: 't', headers: { other: { 'retry-after': ['120'] } } }), SERVER);
    const n = registers(sent);
    timers.advance(119_000);
    assert.equal(registers(sent), n);
    timers.advance(2000);
    assert.equal(registers(sent), n + 1);
  });

  it('stop() unregisters with Expires: 0 and resolves on the answer', async () => {
    const { ua, reg, last } = setup();
    reg.start();
    ua.receive(reply(last(), 200, 'OK', { toTag: 't' }), SERVER);
    const stopped = reg.stop();
    const un = last();
    assert.equal(un.headers.expires, 0);
    ua.receive(reply(un, 401, 'Unauthorized', { toTag: 't' }), SERVER);
    assert.ok(last().headers.authorization, 'unregister answers its challenge too');
    ua.receive(reply(last(), 200, 'OK', { toTag: 't' }), SERVER);
    await stopped;
    assert.equal(reg.status.state, 'stopped');
  });
});
