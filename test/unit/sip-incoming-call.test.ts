import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EndCause } from '../../src/sip/call.ts';
import { IncomingCall } from '../../src/sip/incoming-call.ts';
import { parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../src/sip/message.ts';
import { makeUa, quietLog, reply, requests, responses, SERVER } from './sip-harness.ts';

const OFFER = Buffer.from('v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\n');
const ANSWER = Buffer.from('v=0\r\no=callee 1 1 IN IP4 127.0.0.2\r\n');
const CALLER_CONTACT = 'sip:door@127.0.0.3:5070';
const RECORD_ROUTE = ['sip:127.0.0.1:5060;lr;r2=on', 'sip:127.0.0.4;lr'];

function roundTrip<T extends SipRequest | SipResponse>(m: T): T {
  return parseMessage(serializeMessage(m)) as T;
}

/** An INVITE from the door as a proxy would deliver it: Record-Route, Contact, an SDP offer. */
function makeInvite(opts: { branch?: string; body?: Buffer } = {}): SipRequest {
  return roundTrip({
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:101@127.0.0.2:5070',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: opts.branch ?? 'z9hG4bKinvite1' } }],
      maxForwards: 69,
      from: { uri: 'sip:door@127.0.0.1', params: { tag: 'caller' } },
      to: { uri: 'sip:101@127.0.0.1', params: {} },
      callId: 'call-1@127.0.0.1',
      cseq: { seq: 7, method: 'INVITE' },
      contact: [{ uri: CALLER_CONTACT, params: {} }],
      recordRoute: RECORD_ROUTE.map((uri) => ({ uri, params: {} })),
      contentType: 'application/sdp',
      other: {},
    },
    body: opts.body ?? OFFER,
  });
}

/** A request from the caller inside the dialog (tags as the dialog has them). */
function fromCaller(method: string, seq: number, localTag: string, opts: { branch?: string; body?: Buffer; contentType?: string; contact?: string } = {}): SipRequest {
  const req: SipRequest = {
    kind: 'request',
    method,
    uri: 'sip:101@127.0.0.2:5070',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: opts.branch ?? `z9hG4bK${method}${seq}` } }],
      from: { uri: 'sip:door@127.0.0.1', params: { tag: 'caller' } },
      to: { uri: 'sip:101@127.0.0.1', params: { tag: localTag } },
      callId: 'call-1@127.0.0.1',
      cseq: { seq, method },
      other: {},
    },
    body: opts.body ?? Buffer.alloc(0),
  };
  if (opts.body) req.headers.contentType = opts.contentType ?? 'application/sdp';
  if (opts.contact) req.headers.contact = [{ uri: opts.contact, params: {} }];
  return roundTrip(req);
}

/** A UA with no outbound proxy (as a phone is), and an IncomingCall built from its onIncomingInvite hook. */
function setup(opts: { invite?: SipRequest; reoffer?: (sdp: Buffer) => Buffer | undefined } = {}) {
  const h = makeUa({ user: '101', outboundProxy: undefined });
  const events: string[] = [];
  let ended: EndCause | undefined;
  let call: IncomingCall | undefined;
  h.ua.onIncomingInvite = (req, tx) => {
    call = new IncomingCall(h.ua, req, tx, {
      log: quietLog,
      events: {
        onAcked: () => events.push('acked'),
        onEnded: (c) => {
          events.push(`ended ${c.by} ${c.status ?? ''}`.trim());
          ended = c;
        },
        onInfo: (ct, body) => events.push(`info ${ct} ${body.toString()}`),
        ...(opts.reoffer ? { onReoffer: opts.reoffer } : {}),
      },
    });
    call.start();
  };
  const invite = opts.invite ?? makeInvite();
  h.ua.receive(invite, SERVER);
  assert.ok(call, 'the INVITE reached onIncomingInvite');
  const c = call;
  const inviteResponses = () => responses(h.sent).filter((r) => r.headers.cseq.method === 'INVITE');
  const localTag = () => String(inviteResponses()[0]!.headers.to.params.tag);
  const ack = (seq = 7) => h.ua.receive(fromCaller('ACK', seq, localTag(), { branch: `z9hG4bKack${seq}` }), SERVER);
  return { ...h, call: c, invite, events, ended: () => ended, inviteResponses, localTag, ack };
}

describe('incoming call (RFC 3261 §13.3)', () => {
  it('rings with 180 carrying a To tag, Contact and the Record-Route of the INVITE', () => {
    const { ua, sent, call, inviteResponses, invite } = setup();
    assert.equal(call.state, 'ringing');
    assert.equal(call.peer, 'sip:door@127.0.0.1');
    assert.deepEqual(call.offer, OFFER);
    const ringing = inviteResponses()[0]!;
    assert.equal(ringing.status, 180);
    assert.ok(ringing.headers.to.params.tag, '180 has our To tag (§12.1.1)');
    assert.deepEqual(ringing.headers.contact, [ua.contact()]);
    assert.deepEqual(ringing.headers.recordRoute?.map((r) => r.uri), RECORD_ROUTE);
    assert.deepEqual(sent[0]!.dest, SERVER, 'responses go back along the Via');
    // A retransmitted INVITE gets the same 180 again, tag and all.
    ua.receive(invite, SERVER);
    assert.equal(inviteResponses().length, 2);
    assert.equal(inviteResponses()[1]!.headers.to.params.tag, ringing.headers.to.params.tag);
  });

  it('accept sends 200 OK with our SDP and the same tag, repeats it T1 doubling to T2 until the ACK', () => {
    const { sent, call, timers, inviteResponses, localTag, ack, events } = setup();
    assert.equal(call.accept(ANSWER), true);
    const ok = inviteResponses().at(-1)!;
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.to.params.tag, localTag(), 'all responses to the INVITE carry one tag (§8.2.6.2)');
    assert.equal(ok.headers.contentType, 'application/sdp');
    assert.deepEqual(ok.body, ANSWER);
    assert.ok(ok.headers.contact?.length);
    assert.deepEqual(ok.headers.recordRoute?.map((r) => r.uri), RECORD_ROUTE);
    assert.equal(call.state, 'accepted');
    const count = () => responses(sent).filter((r) => r.status === 200).length;
    // Retransmissions at 0.5, 1.5, 3.5, 7.5, 11.5 s: intervals 0.5, 1, 2, 4, 4 (capped at T2).
    const at: number[] = [];
    for (let t = 0; t < 12_000; t += 100) {
      const before = count();
      timers.advance(100);
      if (count() > before) at.push(t + 100);
    }
    assert.deepEqual(at, [500, 1500, 3500, 7500, 11500]);
    ack();
    assert.equal(call.state, 'active');
    assert.deepEqual(events, ['acked']);
    const n = count();
    timers.advance(40_000);
    assert.equal(count(), n, 'no retransmission after the ACK');
    assert.equal(requests(sent, 'BYE').length, 0);
  });

  it('no ACK within 64*T1: BYE through the route set to the remote target, and the call ends (§13.3.1.4)', () => {
    const { ua, sent, call, timers, localTag, ended } = setup();
    call.accept(ANSWER);
    timers.advance(31_999);
    assert.equal(requests(sent, 'BYE').length, 0);
    timers.advance(1);
    const bye = requests(sent, 'BYE')[0];
    assert.ok(bye, 'BYE sent when the ACK never came');
    assert.equal(ended()?.by, 'network');
    assert.match(ended()?.reason ?? '', /no ACK/);
    assert.equal(bye.uri, CALLER_CONTACT, 'Request-URI = the remote target (the INVITE Contact)');
    assert.deepEqual(bye.headers.route?.map((r) => r.uri), RECORD_ROUTE, 'UAS route set = Record-Route in order (§12.1.1)');
    assert.deepEqual(sent.at(-1)!.dest, { protocol: 'UDP', address: '127.0.0.1', port: 5060 }, 'sent to the first route');
    assert.equal(bye.headers.from.params.tag, localTag());
    assert.equal(bye.headers.from.uri, 'sip:101@127.0.0.1');
    assert.equal(bye.headers.to.params.tag, 'caller');
    assert.equal(bye.headers.to.uri, 'sip:door@127.0.0.1');
    assert.equal(bye.headers.callId, 'call-1@127.0.0.1');
    const retransmits = responses(sent).filter((r) => r.status === 200).length;
    timers.advance(10_000);
    assert.equal(responses(sent).filter((r) => r.status === 200).length, retransmits, 'no 2xx after giving up');
    ua.receive(reply(bye, 200, 'OK'), SERVER);
    assert.ok(call.released);
  });

  it('hangup after the ACK sends BYE with our own CSeq counter; its 200 releases the call', () => {
    const { ua, sent, call, timers, ack, events } = setup();
    call.accept(ANSWER);
    ack();
    call.hangup();
    assert.deepEqual(events, ['acked', 'ended local']);
    const bye = requests(sent, 'BYE')[0]!;
    assert.equal(bye.headers.cseq.seq, 1);
    assert.equal(bye.headers.cseq.method, 'BYE');
    ua.receive(reply(bye, 200, 'OK'), SERVER);
    assert.ok(call.released);
    call.hangup();
    assert.equal(requests(sent, 'BYE').length, 1, 'a second hangup does nothing');
    timers.advance(70_000);
    assert.equal(timers.size, 0, 'no timer left behind');
    assert.equal(ua.transactionCount, 0);
  });

  it('hangup before the ACK waits for it, then sends BYE (§15)', () => {
    const { sent, call, ack, events } = setup();
    call.accept(ANSWER);
    call.hangup('door closed');
    assert.equal(requests(sent, 'BYE').length, 0, 'no BYE before the ACK');
    assert.deepEqual(events, ['ended local']);
    ack();
    assert.equal(requests(sent, 'BYE').length, 1);
    assert.deepEqual(events, ['ended local'], 'no acked event for a call we already ended');
  });

  it("the caller's BYE is answered 200 and ends the call; later requests get 481", () => {
    const { ua, sent, call, ack, localTag, events } = setup();
    call.accept(ANSWER);
    ack();
    ua.receive(fromCaller('INFO', 8, localTag(), { body: Buffer.from('Signal=5'), contentType: 'application/dtmf-relay' }), SERVER);
    ua.receive(fromCaller('OPTIONS', 9, localTag()), SERVER);
    ua.receive(fromCaller('BYE', 10, localTag()), SERVER);
    assert.deepEqual(
      responses(sent)
        .filter((r) => r.headers.cseq.method !== 'INVITE')
        .map((r) => `${r.status} ${r.headers.cseq.method}`),
      ['200 INFO', '200 OPTIONS', '200 BYE'],
    );
    assert.ok(responses(sent).find((r) => r.headers.cseq.method === 'OPTIONS')?.headers.other.allow);
    assert.deepEqual(events, ['acked', 'info application/dtmf-relay Signal=5', 'ended remote']);
    assert.equal(call.state, 'ended');
    assert.ok(call.released);
    ua.receive(fromCaller('BYE', 11, localTag()), SERVER);
    assert.equal(responses(sent).at(-1)!.status, 481);
  });

  it('an in-dialog request with an old CSeq is refused with 500 (§12.2.2)', () => {
    const { ua, sent, call, ack, localTag } = setup();
    call.accept(ANSWER);
    ack();
    ua.receive(fromCaller('INFO', 7, localTag()), SERVER);
    const res = responses(sent).at(-1)!;
    assert.equal(res.status, 500);
    assert.deepEqual(res.headers.other['retry-after'], ['1']);
    assert.equal(call.state, 'active');
  });

  it('CANCEL before the answer: 200 to the CANCEL, 487 with our tag to the INVITE, and the call ends', () => {
    const { ua, sent, call, invite, inviteResponses, localTag, ended, timers } = setup();
    const cancel = roundTrip<SipRequest>({
      ...invite,
      method: 'CANCEL',
      headers: { ...invite.headers, cseq: { seq: 7, method: 'CANCEL' }, contentType: undefined, other: {} },
      body: Buffer.alloc(0),
    });
    ua.receive(cancel, SERVER);
    const cancelOk = responses(sent).find((r) => r.headers.cseq.method === 'CANCEL');
    assert.equal(cancelOk?.status, 200);
    const final = inviteResponses().at(-1)!;
    assert.equal(final.status, 487);
    assert.equal(final.headers.to.params.tag, localTag(), '487 keeps the tag of the 180');
    assert.equal(inviteResponses().filter((r) => r.status === 487).length, 1, 'one 487, not two');
    assert.equal(ended()?.by, 'remote');
    assert.equal(ended()?.status, 487);
    assert.ok(call.released);
    assert.equal(call.accept(ANSWER), false, 'too late to answer');
    // The ACK for the 487 belongs to the INVITE transaction (same branch).
    ua.receive(fromCaller('ACK', 7, localTag(), { branch: 'z9hG4bKinvite1' }), SERVER);
    timers.advance(70_000);
    assert.equal(ua.transactionCount, 0);
    assert.equal(timers.size, 0);
  });

  it('reject sends the final status with our tag and ends the call', () => {
    const { call, inviteResponses, localTag, ended } = setup();
    assert.equal(call.reject(486, 'Busy Here'), true);
    const final = inviteResponses().at(-1)!;
    assert.equal(final.status, 486);
    assert.equal(final.headers.to.params.tag, localTag());
    assert.equal(ended()?.by, 'local');
    assert.equal(ended()?.status, 486);
    assert.ok(call.released);
    assert.equal(call.reject(), false);
    assert.throws(() => setup().call.reject(200, 'OK'), RangeError);
  });

  it('hangup while ringing declines with 603', () => {
    const { call, inviteResponses, ended } = setup();
    call.hangup('nobody home');
    assert.equal(inviteResponses().at(-1)!.status, 603);
    assert.deepEqual(ended(), { by: 'local', status: 603, reason: 'nobody home' });
  });

  it('a BYE in the early dialog ends the INVITE with 487 (§15.1.2)', () => {
    const { ua, sent, localTag, inviteResponses, ended } = setup();
    ua.receive(fromCaller('BYE', 8, localTag()), SERVER);
    assert.equal(responses(sent).find((r) => r.headers.cseq.method === 'BYE')?.status, 200);
    assert.equal(inviteResponses().at(-1)!.status, 487);
    assert.equal(ended()?.by, 'remote');
  });

  it('a re-INVITE gets our answer, refreshes the target, and its 2xx is repeated until its ACK', () => {
    const offers: string[] = [];
    const { ua, sent, call, ack, localTag, timers } = setup({
      reoffer: (sdp) => {
        offers.push(sdp.toString());
        return Buffer.from('new answer');
      },
    });
    call.accept(ANSWER);
    ack();
    ua.receive(fromCaller('INVITE', 8, localTag(), { body: Buffer.from('hold offer'), contact: 'sip:door@127.0.0.5:5070' }), SERVER);
    assert.deepEqual(offers, ['hold offer']);
    const ok = () => responses(sent).filter((r) => r.headers.cseq.seq === 8);
    assert.equal(ok()[0]!.status, 200);
    assert.deepEqual(ok()[0]!.body, Buffer.from('new answer'));
    timers.advance(600);
    assert.equal(ok().length, 2, 'repeated after T1');
    ack(8);
    timers.advance(10_000);
    assert.equal(ok().length, 2, 'not after its ACK');
    call.hangup();
    assert.equal(requests(sent, 'BYE')[0]!.uri, 'sip:door@127.0.0.5:5070', 'BYE goes to the refreshed target');
  });

  it('a re-INVITE we cannot answer gets 488; one before our 2xx is ACKed gets 500 with Retry-After (§14.2)', () => {
    const { ua, sent, call, ack, localTag } = setup({ reoffer: () => undefined });
    call.accept(ANSWER);
    ua.receive(fromCaller('INVITE', 8, localTag(), { body: Buffer.from('early') }), SERVER);
    assert.equal(responses(sent).at(-1)!.status, 500);
    ack();
    ua.receive(fromCaller('INVITE', 9, localTag(), { body: Buffer.from('video only') }), SERVER);
    assert.equal(responses(sent).at(-1)!.status, 488);
    assert.equal(call.state, 'active');
  });

  it('requests for another dialog are not taken', () => {
    const { ua, sent, call, ack } = setup();
    call.accept(ANSWER);
    ack();
    ua.receive(fromCaller('BYE', 8, 'someone-else'), SERVER);
    assert.equal(responses(sent).at(-1)!.status, 481);
    assert.equal(call.state, 'active');
  });
});
