// A call sent straight to its target, past the outbound proxy: the INVITE,
// the ACK, the BYE and a CANCEL all go to the party itself, the Via and
// Contact name the transport used, and other calls still use the proxy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OutgoingCall } from '../../src/sip/call.ts';
import type { Endpoint } from '../../src/sip/transport-port.ts';
import { reachableWithoutRegistrar } from '../../src/intercom/targets.ts';
import { makeUa, quietLog, reply, requests, SERVER } from './sip-harness.ts';

const HALL: Endpoint = { protocol: 'TCP', address: '127.0.0.5', port: 5090 };
const auth = { answer: () => ({ ok: false as const, rejected: false, error: 'none' }) };

function call(h: ReturnType<typeof makeUa>, target: string, direct?: Endpoint) {
  const ended: string[] = [];
  const c = new OutgoingCall(h.ua, {
    target,
    offer: Buffer.from('v=0\r\n'),
    auth,
    log: quietLog,
    events: { onRinging() {}, onAnswered() {}, onEnded: (e) => ended.push(e.reason) },
    ...(direct ? { direct } : {}),
  });
  c.start();
  return { c, ended };
}

describe('a call routed directly (registrar unreachable)', () => {
  it('sends INVITE, ACK and BYE to the party, with Via and Contact on its transport', () => {
    const h = makeUa();
    const { c } = call(h, 'sip:hall@127.0.0.5:5090', HALL);
    const invite = requests(h.sent, 'INVITE')[0]!;
    assert.deepEqual(h.sent[0]!.dest, HALL);
    assert.equal(invite.headers.via[0]!.protocol, 'TCP');
    assert.match(String(invite.headers.contact && invite.headers.contact !== '*' ? invite.headers.contact[0]!.uri : ''), /;transport=tcp$/);
    h.ua.receive(reply(invite, 200, 'OK', { toTag: 'h', headers: { contact: [{ uri: 'sip:hall@127.0.0.5:5090;transport=tcp', params: {} }] } }), HALL);
    const ack = h.sent.find((s) => s.msg.kind === 'request' && s.msg.method === 'ACK')!;
    assert.deepEqual(ack.dest, HALL);
    c.hangup();
    const bye = h.sent.find((s) => s.msg.kind === 'request' && s.msg.method === 'BYE')!;
    assert.deepEqual(bye.dest, HALL);
  });

  it('CANCELs at the party, and afterwards calls go through the proxy again', () => {
    const h = makeUa();
    const { c } = call(h, 'sip:hall@127.0.0.5:5090', HALL);
    const invite = requests(h.sent, 'INVITE')[0]!;
    h.ua.receive(reply(invite, 180, 'Ringing', { toTag: 'h' }), HALL);
    c.hangup();
    const cancel = h.sent.find((s) => s.msg.kind === 'request' && s.msg.method === 'CANCEL')!;
    assert.deepEqual(cancel.dest, HALL);
    h.ua.receive(reply(invite, 487, 'Request Terminated', { toTag: 'h' }), HALL);
    call(h, 'sip:101@127.0.0.1');
    assert.deepEqual(h.sent.at(-1)!.dest, SERVER);
    assert.equal(requests(h.sent, 'INVITE').at(-1)!.headers.via[0]!.protocol, 'UDP');
  });

  it('only a party addressed by IP, and not the registrar itself, can be reached without the registrar', () => {
    assert.deepEqual(reachableWithoutRegistrar('sip:hall@127.0.0.5:5090', '127.0.0.1', 'UDP'), { protocol: 'UDP', address: '127.0.0.5', port: 5090 });
    assert.deepEqual(reachableWithoutRegistrar('sip:hall@127.0.0.5;transport=tcp', '127.0.0.1', 'UDP'), { protocol: 'TCP', address: '127.0.0.5', port: 5060 });
    assert.equal(reachableWithoutRegistrar('sip:101@127.0.0.1', '127.0.0.1', 'UDP'), undefined);
    assert.equal(reachableWithoutRegistrar('sip:101@pbx.example.org', '127.0.0.1', 'UDP'), undefined);
  });
});
