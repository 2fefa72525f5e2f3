import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DemoRegistrar, type RegistrarEvent } from '../../src/intercom/demo-registrar.ts';
import { authorize, DigestClient, readChallenge, type Challenge } from '../../src/sip/digest.ts';
import { parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../src/sip/message.ts';
import { Registration } from '../../src/sip/registration.ts';
import { makeUa, quietLog, requests, SERVER } from './sip-harness.ts';

const AOR = 'sip:door@127.0.0.1';

/** The door's real Registration and DigestClient, wired to the demo registrar through recording transports. */
function setup(password = 'door-pw') {
  const door = makeUa();
  const indoor = makeUa({ user: '101', outboundProxy: undefined });
  const events: RegistrarEvent[] = [];
  const registrar = new DemoRegistrar({
    realm: 'intercom-demo',
    users: { door: 'door-pw' },
    makeResponse: (req, status, reason, extra) => indoor.ua.makeResponse(req, status, reason, extra),
  });
  const answered: SipResponse[] = [];
  let delivered = 0;
  const pump = () => {
    while (delivered < door.sent.length) {
      const m = door.sent[delivered++]!.msg;
      if (m.kind !== 'request' || m.method !== 'REGISTER') continue;
      const { response, event } = registrar.handle(m);
      events.push(event);
      const wire = parseMessage(serializeMessage(response)) as SipResponse;
      answered.push(wire);
      door.ua.receive(wire, SERVER);
    }
  };
  const reg = new Registration(door.ua, { expires: 600, auth: new DigestClient({ username: 'door', password }), log: quietLog, random: () => 0.5 });
  return { door, registrar, events, answered, pump, reg };
}

function firstChallenge(res: SipResponse, algorithm: string): Challenge {
  const h = res.headers.wwwAuthenticate?.find((a) => a.params.algorithm === algorithm);
  assert.ok(h, `a ${algorithm} challenge`);
  const c = readChallenge(h);
  assert.ok(typeof c !== 'string', String(c));
  return c;
}

describe('demo registrar (RFC 3261 §10.3 with digest, RFC 8760)', () => {
  it('challenges, verifies the SHA-256 answer of the real DigestClient, binds, and unbinds on Expires: 0', async () => {
    const { door, registrar, events, answered, pump, reg } = setup();
    reg.start();
    pump();
    assert.deepEqual(events.map((e) => e.kind), ['challenged', 'registered']);
    assert.deepEqual(answered[0]!.headers.wwwAuthenticate?.map((a) => a.params.algorithm), ['SHA-256', 'MD5'], 'strongest first');
    assert.equal(answered[0]!.headers.wwwAuthenticate?.[0]?.params.qop, 'auth');
    const registered = events[1];
    assert.equal(registered?.kind, 'registered');
    if (registered?.kind === 'registered') {
      assert.equal(registered.algorithm, 'SHA-256');
      assert.equal(registered.aor, AOR);
      assert.equal(registered.contact, door.ua.contact().uri);
      assert.equal(registered.expires, 600);
    }
    assert.equal(reg.status.registered, true);
    assert.equal(registrar.binding(AOR)?.contact, door.ua.contact().uri);
    const ok = answered[1]!;
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.contact !== '*' && ok.headers.contact?.[0]?.params.expires, '600');

    const stopped = reg.stop();
    pump();
    await stopped;
    assert.equal(events.at(-1)?.kind, 'unregistered');
    assert.equal(registrar.binding(AOR), undefined);
  });

  it('a wrong password is refused with a fresh challenge, and the client reports it', () => {
    const { events, answered, pump, reg } = setup('not-the-password');
    reg.start();
    pump();
    const refused = events.find((e) => e.kind === 'refused');
    assert.ok(refused && refused.kind === 'refused' && /wrong password/.test(refused.reason));
    assert.equal(answered.at(-1)!.status, 401);
    assert.equal(reg.status.registered, false);
    assert.match(reg.status.lastError ?? '', /authentication failed/);
  });

  it('a replayed REGISTER (same nonce count) and a digest for another Request-URI are refused', () => {
    const { door, registrar, pump, reg } = setup();
    reg.start();
    pump();
    const signed = requests(door.sent, 'REGISTER').find((r) => r.headers.authorization)!;
    const replay = registrar.handle(signed);
    assert.equal(replay.response.status, 401);
    assert.ok(replay.event.kind === 'refused' && /replay/.test(replay.event.reason));
    const moved: SipRequest = { ...signed, uri: 'sip:127.0.0.9' };
    const other = registrar.handle(moved);
    assert.ok(other.event.kind === 'refused' && /Request-URI/.test(other.event.reason));
  });

  it('accepts an MD5 answer too, and refuses unknown users with 404', () => {
    const { door, registrar, pump, reg } = setup();
    reg.start();
    pump();
    const unsigned = requests(door.sent, 'REGISTER')[0]!;
    const first = registrar.handle(unsigned);
    const challenge = firstChallenge(parseMessage(serializeMessage(first.response)) as SipResponse, 'MD5');
    const header = authorize({ challenge, method: 'REGISTER', uri: unsigned.uri, username: 'door', password: 'door-pw', cnonce: 'c', nc: 1 });
    const signed: SipRequest = { ...unsigned, headers: { ...unsigned.headers, authorization: [header] } };
    const r = registrar.handle(signed);
    assert.equal(r.response.status, 200);
    assert.ok(r.event.kind === 'registered' && r.event.algorithm === 'MD5');
    const stranger: SipRequest = { ...unsigned, headers: { ...unsigned.headers, to: { uri: 'sip:mallory@127.0.0.1', params: {} } } };
    assert.equal(registrar.handle(stranger).response.status, 404);
  });
});
