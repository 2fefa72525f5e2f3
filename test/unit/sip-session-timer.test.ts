// Session timers (RFC 4028) on the door's outgoing calls, fed like the network would.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/sip/authenticator.ts';
import { OutgoingCall, type EndCause } from '../../src/sip/call.ts';
import { IncomingCall } from '../../src/sip/incoming-call.ts';
import type { SipMessage, SipRequest } from '../../src/sip/message.ts';
import { parseSessionExpires } from '../../src/sip/session-timer.ts';
import { makeUa, quietLog, reply, requests, responses, SERVER } from './sip-harness.ts';

const auth: Authenticator = { answer: () => ({ ok: false, rejected: false, error: 'none' }) };

function answered(sessionExpires?: string) {
  const h = makeUa();
  let ended: EndCause | undefined;
  const call = new OutgoingCall(h.ua, {
    target: 'sip:101@127.0.0.1',
    offer: Buffer.from('v=0\r\n'),
    auth,
    log: quietLog,
    events: { onRinging: () => {}, onAnswered: () => {}, onEnded: (c) => (ended = c) },
  });
  call.start();
  const invite = requests(h.sent, 'INVITE')[0]!;
  assert.equal(invite.headers.other['supported']?.[0], 'timer', 'the INVITE says we can refresh');
  h.ua.receive(reply(invite, 200, 'OK', { toTag: 'callee', headers: { other: sessionExpires ? { 'session-expires': [sessionExpires] } : {} } }), SERVER);
  return { ...h, call, invite, ended: () => ended };
}

describe('session timers (RFC 4028)', () => {
  it('reads Session-Expires', () => {
    const m = (v: string) => ({ headers: { other: { 'session-expires': [v] } } }) as unknown as SipMessage;
    assert.deepEqual(parseSessionExpires(m('1800;refresher=uac')), { seconds: 1800, refresher: 'uac' });
    assert.deepEqual(parseSessionExpires(m(' 90 ; refresher = UAS ')), { seconds: 90, refresher: 'uas' });
    assert.deepEqual(parseSessionExpires(m('600')), { seconds: 600 });
    assert.equal(parseSessionExpires(m('soon')), undefined);
    assert.equal(parseSessionExpires(m('0')), undefined);
  });

  it('refresher=uac: a re-INVITE at half the interval, ACKed on 2xx, and again after that', () => {
    const { ua, sent, timers, call } = answered('60;refresher=uac');
    timers.advance(29_999);
    assert.equal(requests(sent, 'INVITE').length, 1);
    timers.advance(1);
    const refresh = requests(sent, 'INVITE')[1]!;
    assert.equal(refresh.headers.to.params.tag, 'callee', 'in the dialog');
    assert.equal(refresh.headers.other['session-expires']?.[0], '60;refresher=uac');
    ua.receive(reply(refresh, 200, 'OK', { toTag: 'callee', headers: { other: { 'session-expires': ['60;refresher=uac'] } } }), SERVER);
    assert.equal(requests(sent, 'ACK').at(-1)?.headers.cseq.seq, refresh.headers.cseq.seq);
    timers.advance(30_000);
    assert.equal(requests(sent, 'INVITE').length, 3);
    assert.equal(call.state, 'active');
  });

  it('a refresh answered 481 ends the call; so does a missing refresh from a refresher=uas peer', () => {
    const a = answered('60;refresher=uac');
    a.timers.advance(30_000);
    a.ua.receive(reply(requests(a.sent, 'INVITE')[1]!, 481, 'Call/Transaction Does Not Exist', { toTag: 'callee' }), SERVER);
    assert.equal(a.ended()?.by, 'network');
    assert.equal(requests(a.sent, 'BYE').length, 1);

    const b = answered('90;refresher=uas');
    b.timers.advance(59_999);
    assert.equal(b.ended(), undefined);
    b.timers.advance(1); // 90 - min(32, 30)
    assert.match(b.ended()?.reason ?? '', /session expired/);
    assert.equal(requests(b.sent, 'BYE').length, 1);
  });

  it('no Session-Expires in the 2xx: no timer at all', () => {
    const { sent, timers, ended } = answered();
    timers.advance(3_600_000);
    assert.equal(requests(sent, 'INVITE').length, 1);
    assert.equal(ended(), undefined);
  });
});

describe('session timers on incoming calls (RFC 4028 §9)', () => {
  function incoming(other: Record<string, string[]>) {
    const h = makeUa({ user: 'door', outboundProxy: undefined });
    let call: IncomingCall | undefined;
    let ended: EndCause | undefined;
    h.ua.onIncomingInvite = (req, tx) => {
      call = new IncomingCall(h.ua, req, tx, { log: quietLog, events: { onEnded: (c) => (ended = c) } });
      call.start();
    };
    const invite: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: 'sip:door@127.0.0.2:5070',
      headers: {
        via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: 'z9hG4bKinv' } }],
        from: { uri: 'sip:101@127.0.0.1', params: { tag: 'caller' } },
        to: { uri: 'sip:door@127.0.0.1', params: {} },
        callId: 'st-1@127.0.0.1',
        cseq: { seq: 1, method: 'INVITE' },
        contact: [{ uri: 'sip:101@127.0.0.9', params: {} }],
        contentType: 'application/sdp',
        other,
      },
      body: Buffer.from('v=0\r\n'),
    };
    h.ua.receive(invite, SERVER);
    call!.accept(Buffer.from('v=0\r\n'));
    const ok = responses(h.sent).find((r) => r.status === 200)!;
    const tag = String(ok.headers.to.params.tag);
    h.ua.receive({ ...invite, method: 'ACK', headers: { ...invite.headers, to: { ...invite.headers.to, params: { tag } }, cseq: { seq: 1, method: 'ACK' }, via: [{ ...invite.headers.via[0]!, params: { branch: 'z9hG4bKack' } }] } }, SERVER);
    return { ...h, ok, ended: () => ended, call: call! };
  }

  it('a caller that supports timers and asks for one refreshes it; without a refresh the door sends BYE', () => {
    const { ok, timers, sent, ended, call } = incoming({ supported: ['timer'], 'session-expires': ['90'] });
    assert.equal(ok.headers.other['session-expires']?.[0], '90;refresher=uac');
    assert.equal(ok.headers.other['require']?.[0], 'timer');
    assert.equal(call.state, 'active');
    timers.advance(59_999);
    assert.equal(ended(), undefined);
    timers.advance(1);
    assert.match(ended()?.reason ?? '', /session expired/);
    assert.equal(requests(sent, 'BYE').length, 1);
  });

  it('a caller that does not support timers gets none', () => {
    const { ok, timers, ended } = incoming({ 'session-expires': ['90'] });
    assert.equal(ok.headers.other['session-expires'], undefined);
    timers.advance(3_600_000);
    assert.equal(ended(), undefined);
  });
});
