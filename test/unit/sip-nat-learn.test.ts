// Behind a NAT the registrar sees another address than ours (RFC 3581): the
// door registers again at once with that address in its Contact and drops the
// binding nobody can reach; without a NAT nothing changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/sip/authenticator.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { Registration } from '../../src/sip/registration.ts';
import { makeUa, quietLog, reply, requests, SERVER } from './sip-harness.ts';

const noAuth: Authenticator = { answer: () => ({ ok: false, rejected: false, error: 'no challenge expected' }) };

/** The 200 of a registrar on the far side of a NAT: our Via with received/rport as it saw us. */
function okSeenAs(req: SipRequest, address: string, port: number) {
  const via = { ...req.headers.via[0]!, params: { ...req.headers.via[0]!.params, received: address, rport: String(port) } };
  return reply(req, 200, 'OK', { toTag: 't', headers: { via: [via], expires: 600 } });
}

const contacts = (r: SipRequest) => (r.headers.contact === '*' ? [] : (r.headers.contact ?? []).map((c) => `${c.uri}${c.params.expires ? `;expires=${c.params.expires}` : ''}`));

describe('public address learned from REGISTER responses', () => {
  it('registers again with the address the server saw, removing the private binding in the same request', () => {
    const { ua, sent } = makeUa();
    const reg = new Registration(ua, { expires: 600, auth: noAuth, log: quietLog });
    reg.start();
    const first = requests(sent, 'REGISTER').at(-1)!;
    assert.deepEqual(contacts(first), ['sip:door@127.0.0.2:5070']);
    ua.receive(okSeenAs(first, '198.51.100.20', 40123), SERVER);
    const second = requests(sent, 'REGISTER').at(-1)!;
    assert.notEqual(second, first);
    assert.deepEqual(contacts(second), ['sip:door@198.51.100.20:40123', 'sip:door@127.0.0.2:5070;expires=0']);
    assert.equal(reg.status.state, 'registering', 'not registered until the public binding is confirmed');
    ua.receive(okSeenAs(second, '198.51.100.20', 40123), SERVER);
    assert.equal(reg.status.state, 'registered');
    assert.equal(requests(sent, 'REGISTER').length, 2);
    // Calls and refreshes use the public Contact from now on.
    assert.deepEqual(ua.contact().uri, 'sip:door@198.51.100.20:40123');
  });

  it('without a NAT (received/rport equal to ours) registers once', () => {
    const { ua, sent } = makeUa();
    const reg = new Registration(ua, { expires: 600, auth: noAuth, log: quietLog });
    reg.start();
    ua.receive(okSeenAs(requests(sent, 'REGISTER').at(-1)!, '127.0.0.2', 5070), SERVER);
    assert.equal(reg.status.state, 'registered');
    assert.equal(requests(sent, 'REGISTER').length, 1);
  });

  it('a NAT that answers with a new port every time does not cause a REGISTER storm', () => {
    const { ua, sent } = makeUa();
    const reg = new Registration(ua, { expires: 600, auth: noAuth, log: quietLog });
    reg.start();
    for (let i = 0; i < 10; i++) ua.receive(okSeenAs(requests(sent, 'REGISTER').at(-1)!, '198.51.100.20', 40000 + i), SERVER);
    assert.ok(requests(sent, 'REGISTER').length <= 4);
    assert.equal(reg.status.state, 'registered');
  });
});
