import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/sip/authenticator.ts';
import { OutgoingCall, type EndCause } from '../../src/sip/call.ts';
import { DigestClient } from '../../src/sip/digest.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { makeUa, quietLog, reply, requests, responses, SERVER } from './sip-harness.ts';

const auth: Authenticator = {
  answer: (res) => ({ ok: true, proxy: res.status === 407, header: { scheme: 'Digest', params: { username: 'door', response: 'x' } } }),
};
const OFFER = Buffer.from('v=0\r\n');

function setup(extra: { silenceLimitMs?: number; auth?: Authenticator; ua?: ReturnType<typeof makeUa> } = {}) {
  const { auth: callAuth = auth, ua: given, ...rest } = extra;
  const h = given ?? makeUa();
  const events: string[] = [];
  let ended: EndCause | undefined;
  const unreachable: string[] = [];
  const call = new OutgoingCall(h.ua, {
    target: 'sip:101@127.0.0.1',
    offer: OFFER,
    auth: callAuth,
    log: quietLog,
    events: {
      onRinging: (s) => events.push(`ringing ${s}`),
      onAnswered: (sdp) => events.push(`answered ${sdp.toString()}`),
      onEnded: (c) => {
        events.push(`ended ${c.by} ${c.status ?? ''}`.trim());
        ended = c;
      },
      onInfo: (ct, body) => events.push(`info ${ct} ${body.toString()}`),
    },
    onUnreachable: (reason) => unreachable.push(reason),
    ...rest,
  });
  call.start();
  const invites = () => requests(h.sent, 'INVITE');
  return { ...h, call, events, unreachable, ended: () => ended, invite: () => invites().at(-1)! };
}

function inDialog(from: SipRequest, method: string, seq: number): SipRequest {
  // A request from the callee: From/To swapped, tags as in the dialog.
  return {
    kind: 'request',
    method,
    uri: 'sip:door@127.0.0.2:5070',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: `z9hG4bK${method}${seq}` } }],
      from: { uri: 'sip:101@127.0.0.1', params: { tag: 'callee' } },
      to: { uri: from.headers.from.uri, params: { tag: String(from.headers.from.params.tag) } },
      callId: from.headers.callId,
      cseq: { seq, method },
      other: {},
    },
    body: Buffer.alloc(0),
  };
}

describe('outgoing call (RFC 3261 §13)', () => {
  it('sends the next INVITE with the credentials of the last 407 (RFC 3261 §22.3), and answers a stale nonce once', () => {
    const digest = new DigestClient({ username: 'door', password: 'pw' }, () => 'c0ffee');
    const h = makeUa();
    const challenge = (nonce: string, stale = false) => ({
      proxyAuthenticate: [{ scheme: 'Digest', params: { realm: '127.0.0.1', nonce, qop: 'auth', ...(stale ? { stale: 'true' } : {}) } }],
    });
    const first = setup({ auth: digest, ua: h });
    assert.equal(first.invite().headers.proxyAuthorization, undefined, 'nothing is known before the first challenge');
    h.ua.receive(reply(first.invite(), 407, 'Proxy Authentication Required', { toTag: 'p', headers: challenge('n1') }), SERVER);
    assert.equal(first.invite().headers.proxyAuthorization?.[0]?.params.nc, '00000001');
    h.ua.receive(reply(first.invite(), 486, 'Busy Here', { toTag: 'callee' }), SERVER);

    const second = setup({ auth: digest, ua: h });
    const pre = second.invite();
    assert.equal(pre.headers.cseq.seq, 1);
    assert.deepEqual(
      { nonce: pre.headers.proxyAuthorization?.[0]?.params.nonce, nc: pre.headers.proxyAuthorization?.[0]?.params.nc },
      { nonce: 'n1', nc: '00000002' },
    );
    // The server has dropped n1: one retry with the new nonce, then the call goes on.
    h.ua.receive(reply(pre, 407, 'Proxy Authentication Required', { toTag: 'p2', headers: challenge('n2', true) }), SERVER);
    const retry = second.invite();
    assert.equal(retry.headers.cseq.seq, 2);
    assert.equal(retry.headers.proxyAuthorization?.[0]?.params.nonce, 'n2');
    h.ua.receive(reply(retry, 180, 'Ringing', { toTag: 'callee' }), SERVER);
    assert.equal(second.call.state, 'ringing');
    assert.equal(requests(h.sent, 'INVITE').filter((r) => r.headers.callId === pre.headers.callId).length, 2);
  });

  it('answers a 407 with Proxy-Authorization, rings, and ACKs the 2xx through the reversed Record-Route', () => {
    const { ua, sent, events, invite, call } = setup();
    const first = invite();
    assert.equal(first.headers.contentType, 'application/sdp');
    assert.deepEqual(first.body, OFFER);
    ua.receive(reply(first, 407, 'Proxy Authentication Required', { toTag: 'p' }), SERVER);
    assert.equal(requests(sent, 'ACK').length, 1, 'the transaction ACKs the 407');
    const second = invite();
    assert.ok(second.headers.proxyAuthorization?.length);
    assert.equal(second.headers.callId, first.headers.callId);
    assert.equal(second.headers.from.params.tag, first.headers.from.params.tag);
    assert.notEqual(second.headers.via[0]!.params.branch, first.headers.via[0]!.params.branch);
    ua.receive(reply(second, 100, 'Trying'), SERVER);
    ua.receive(reply(second, 180, 'Ringing', { toTag: 'callee' }), SERVER);
    assert.equal(call.state, 'ringing');
    const ok = reply(second, 200, 'OK', {
      toTag: 'callee',
      body: Buffer.from('answer'),
      headers: {
        contact: [{ uri: 'sip:101@127.0.0.9:5080', params: {} }],
        recordRoute: [
          { uri: 'sip:127.0.0.1:5060;lr;r2=on', params: {} },
          { uri: 'sip:10.1.1.1;lr', params: {} },
        ],
      },
    });
    ua.receive(ok, SERVER);
    assert.deepEqual(events, ['ringing 180', 'answered answer']);
    const ack = requests(sent, 'ACK').at(-1)!;
    assert.equal(ack.uri, 'sip:101@127.0.0.9:5080', 'ACK goes to the remote target');
    assert.deepEqual(
      ack.headers.route?.map((r) => r.uri),
      ['sip:10.1.1.1;lr', 'sip:127.0.0.1:5060;lr;r2=on'],
    );
    assert.equal(ack.headers.cseq.seq, second.headers.cseq.seq);
    // A retransmitted 2xx gets the same ACK again.
    ua.receive(ok, SERVER);
    assert.equal(requests(sent, 'ACK').length, 3);
    // Our BYE uses the dialog.
    call.hangup();
    const bye = requests(sent, 'BYE')[0]!;
    assert.equal(bye.uri, 'sip:101@127.0.0.9:5080');
    assert.equal(bye.headers.to.params.tag, 'callee');
    assert.equal(bye.headers.cseq.seq, second.headers.cseq.seq + 1);
    assert.deepEqual(events.at(-1), 'ended local');
    ua.receive(reply(bye, 200, 'OK'), SERVER);
    assert.ok(call.released);
  });

  it('a BYE from the callee ends the call and is answered 200', () => {
    const { ua, sent, events, invite, call } = setup();
    ua.receive(reply(invite(), 200, 'OK', { toTag: 'callee', headers: { contact: [{ uri: 'sip:101@127.0.0.9', params: {} }] } }), SERVER);
    ua.receive(inDialog(invite(), 'INFO', 1), SERVER);
    ua.receive(inDialog(invite(), 'BYE', 2), SERVER);
    assert.deepEqual(
      responses(sent).map((r) => `${r.status} ${r.headers.cseq.method}`),
      ['200 INFO', '200 BYE'],
    );
    assert.equal(events.at(-1), 'ended remote');
    assert.equal(call.state, 'ended');
    assert.ok(call.released);
    // Another BYE now: no dialog left.
    ua.receive(inDialog(invite(), 'BYE', 3), SERVER);
    assert.equal(responses(sent).at(-1)!.status, 481);
  });

  it('hangup before any provisional waits for one, then CANCELs; the 487 ends it', () => {
    const { ua, sent, invite, call, ended } = setup();
    call.hangup('no answer');
    assert.equal(requests(sent, 'CANCEL').length, 0, 'no CANCEL before a provisional (§9.1)');
    assert.equal(ended()?.by, 'local');
    ua.receive(reply(invite(), 180, 'Ringing', { toTag: 'c' }), SERVER);
    const cancel = requests(sent, 'CANCEL')[0]!;
    assert.equal(cancel.headers.via[0]!.params.branch, invite().headers.via[0]!.params.branch);
    assert.equal(cancel.headers.cseq.seq, invite().headers.cseq.seq);
    assert.equal(cancel.headers.to.params.tag, undefined);
    ua.receive(reply(cancel, 200, 'OK', { toTag: 'c' }), SERVER);
    ua.receive(reply(invite(), 487, 'Request Terminated', { toTag: 'c' }), SERVER);
    assert.ok(call.released);
    assert.equal(requests(sent, 'ACK').length, 1);
  });

  it('a 200 that crosses our CANCEL is ACKed and hung up with BYE', () => {
    const { ua, sent, invite, call } = setup();
    ua.receive(reply(invite(), 180, 'Ringing', { toTag: 'c' }), SERVER);
    call.hangup();
    ua.receive(reply(invite(), 200, 'OK', { toTag: 'c', headers: { contact: [{ uri: 'sip:101@127.0.0.9', params: {} }] } }), SERVER);
    assert.equal(requests(sent, 'ACK').length, 1);
    assert.equal(requests(sent, 'BYE').length, 1);
  });

  for (const [status, reason, pattern] of [
    [486, 'Busy Here', /busy/],
    [480, 'Temporarily Unavailable', /unavailable/],
    [404, 'Not Found', /not found/],
    [603, 'Decline', /declined/],
  ] as const) {
    it(`${status} ends the call with a clear cause`, () => {
      const { ua, invite, ended, call, unreachable } = setup();
      ua.receive(reply(invite(), status, reason, { toTag: 'x' }), SERVER);
      assert.equal(ended()?.status, status);
      assert.match(ended()?.reason ?? '', pattern);
      assert.ok(call.released);
      assert.deepEqual(unreachable, [], 'an answer, even a refusal, proves the server is there');
    });
  }

  it('no answer at all from the server ends the call as a timeout, and says the server is unreachable', () => {
    const { timers, ended, unreachable } = setup();
    timers.advance(33_000);
    assert.equal(ended()?.by, 'network');
    assert.match(ended()?.reason ?? '', /timeout/);
    assert.deepEqual(unreachable, ['no answer from the server (timeout)']);
  });

  it('with a silence limit, a server that sends nothing gives up after the limit and stops retransmitting', () => {
    const { timers, sent, ended, unreachable, call } = setup({ silenceLimitMs: 4000 });
    timers.advance(3900);
    assert.equal(call.state, 'calling');
    timers.advance(200);
    assert.equal(ended()?.by, 'network');
    assert.equal(ended()?.reason, 'no answer from the server');
    assert.deepEqual(unreachable, ['no answer from the server']);
    assert.ok(call.released);
    const copies = requests(sent, 'INVITE').length;
    timers.advance(60_000);
    assert.equal(requests(sent, 'INVITE').length, copies, 'no retransmission after giving up');
    assert.deepEqual(unreachable, ['no answer from the server'], 'reported once');
  });

  it('with a silence limit, a 100 Trying proves the server is there: the call rings on past the limit', () => {
    const { timers, ua, invite, call, unreachable } = setup({ silenceLimitMs: 4000 });
    ua.receive(reply(invite(), 100, 'Trying'), SERVER);
    timers.advance(20_000);
    assert.equal(call.state, 'calling');
    assert.deepEqual(unreachable, []);
  });

  it('with a silence limit, the re-sent INVITE after a 407 gets its own limit', () => {
    const { timers, ua, invite, ended } = setup({ silenceLimitMs: 4000 });
    timers.advance(3000);
    ua.receive(reply(invite(), 407, 'Proxy Authentication Required', { toTag: 'p' }), SERVER);
    timers.advance(3000);
    assert.equal(ended(), undefined, 'the first limit no longer counts');
    timers.advance(1100);
    assert.equal(ended()?.reason, 'no answer from the server');
  });
});
