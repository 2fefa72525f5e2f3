// REFER in a call (RFC 3515): 202 and NOTIFYs with the new call's progress,
// 400 for an unusable Refer-To, 603 when declined, 501 when not supported.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/sip/authenticator.ts';
import { OutgoingCall } from '../../src/sip/call.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { referTarget } from '../../src/sip/refer.ts';
import { makeUa, quietLog, reply, requests, responses, SERVER } from './sip-harness.ts';

const auth: Authenticator = { answer: () => ({ ok: false, rejected: false, error: 'none' }) };

function answeredCall(onRefer?: (t: string) => boolean) {
  const h = makeUa();
  const referred: string[] = [];
  const call = new OutgoingCall(h.ua, {
    target: 'sip:101@127.0.0.1',
    offer: Buffer.from('v=0\r\n'),
    auth,
    log: quietLog,
    events: {
      onRinging: () => {},
      onAnswered: () => {},
      onEnded: () => {},
      ...(onRefer ? { onRefer: (t: string) => (referred.push(t), onRefer(t)) } : {}),
    },
  });
  call.start();
  const invite = requests(h.sent, 'INVITE')[0]!;
  h.ua.receive(reply(invite, 200, 'OK', { toTag: 'callee', headers: { contact: [{ uri: 'sip:101@127.0.0.9', params: {} }] } }), SERVER);
  return { ...h, call, invite, referred };
}

function refer(invite: SipRequest, seq: number, referTo?: string[]): SipRequest {
  return {
    kind: 'request',
    method: 'REFER',
    uri: 'sip:door@127.0.0.2:5070',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: `z9hG4bKrefer${seq}` } }],
      from: { uri: 'sip:101@127.0.0.1', params: { tag: 'callee' } },
      to: { uri: invite.headers.from.uri, params: { tag: String(invite.headers.from.params.tag) } },
      callId: invite.headers.callId,
      cseq: { seq, method: 'REFER' },
      other: referTo ? { 'refer-to': referTo } : {},
    },
    body: Buffer.alloc(0),
  };
}

describe('REFER in a call (RFC 3515)', () => {
  it('accepted: 202, then NOTIFY 100 at once and the final status ending the subscription', () => {
    const { ua, sent, call, invite, referred } = answeredCall(() => true);
    ua.receive(refer(invite, 5, ['<sip:102@127.0.0.1>']), SERVER);
    assert.deepEqual(referred, ['sip:102@127.0.0.1']);
    assert.equal(responses(sent).at(-1)?.status, 202);
    const n1 = requests(sent, 'NOTIFY')[0]!;
    assert.equal(n1.uri, 'sip:101@127.0.0.9', 'in the dialog, to the remote target');
    assert.equal(n1.headers.to.params.tag, 'callee');
    assert.equal(n1.headers.other['event']?.[0], 'refer');
    assert.equal(n1.headers.other['subscription-state']?.[0], 'active;expires=60');
    assert.equal(n1.headers.contentType, 'message/sipfrag;version=2.0');
    assert.equal(n1.body.toString(), 'SIP/2.0 100 Trying\r\n');
    call.notifyRefer(100); // repeated progress is not sent twice
    call.notifyRefer(180);
    call.notifyRefer(200);
    call.notifyRefer(200);
    const all = requests(sent, 'NOTIFY');
    assert.deepEqual(all.map((n) => n.body.toString().trim()), ['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    assert.equal(all.at(-1)?.headers.other['subscription-state']?.[0], 'terminated;reason=noresource');
    assert.ok(all[1]!.headers.cseq.seq > all[0]!.headers.cseq.seq);
  });

  it('declined: 603; unusable Refer-To: 400; no handler: 501', () => {
    const declined = answeredCall(() => false);
    declined.ua.receive(refer(declined.invite, 5, ['<sip:102@127.0.0.1>']), SERVER);
    assert.equal(responses(declined.sent).at(-1)?.status, 603);
    assert.equal(requests(declined.sent, 'NOTIFY').length, 0);

    const bad = answeredCall(() => true);
    bad.ua.receive(refer(bad.invite, 5), SERVER);
    assert.equal(responses(bad.sent).at(-1)?.status, 400);
    bad.ua.receive(refer(bad.invite, 6, ['<tel:+4930123>']), SERVER);
    assert.equal(responses(bad.sent).at(-1)?.status, 400);
    assert.deepEqual(bad.referred, []);

    const none = answeredCall();
    none.ua.receive(refer(none.invite, 5, ['<sip:102@127.0.0.1>']), SERVER);
    assert.equal(responses(none.sent).at(-1)?.status, 501);
  });

  it('reads Refer-To in its usual spellings', () => {
    const r = (v: string[]) => referTarget({ headers: { other: { 'refer-to': v } } } as unknown as SipRequest);
    assert.deepEqual(r(['<sip:102@pbx>']), { uri: 'sip:102@pbx' });
    assert.deepEqual(r(['"Flat" <sip:102@pbx;transport=udp>;x=1']), { uri: 'sip:102@pbx;transport=udp' });
    assert.deepEqual(r(['sip:102@pbx']), { uri: 'sip:102@pbx' });
    assert.ok('error' in r(['<sip:102@pbx?Replaces=abc>']));
    assert.ok('error' in r(['<sip:a@b>', '<sip:c@d>']));
  });
});
