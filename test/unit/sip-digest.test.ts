// Digest authentication: published vectors, SIP cases computed independently
// (python3 hashlib, values written out below), and the client's retry logic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  authorize,
  challengesOf,
  DigestClient,
  pickChallenge,
  readChallenge,
  type Challenge,
} from '../../src/sip/digest.ts';
import { formatAuth, parseMessage, type AuthHeader, type SipRequest, type SipResponse } from '../../src/sip/message.ts';

function challenge(h: AuthHeader): Challenge {
  const c = pickChallenge([h]);
  assert.ok(!('error' in c), JSON.stringify(c));
  return c;
}

const digest = (params: Record<string, string>): AuthHeader => ({ scheme: 'Digest', params });

describe('published digest vectors', () => {
  it('RFC 2617 §3.5: MD5, qop=auth (Mufasa / "Circle Of Life")', () => {
    const c = challenge(
      digest({ realm: 'testrealm@host.com', qop: 'auth,auth-int', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41' }),
    );
    const h = authorize({ challenge: c, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', cnonce: '0a4f113b', nc: 1 });
    assert.deepEqual(h, {
      scheme: 'Digest',
      params: {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        uri: '/dir/index.html',
        response: '6629fae49393a05397450978507c4ef1',
        cnonce: '0a4f113b',
        opaque: '5ccc069c403ebaf9f0171e9517f40e41',
        qop: 'auth',
        nc: '00000001',
      },
    });
  });

  const rfc7616 = {
    realm: 'http-auth@example.org',
    qop: 'auth, auth-int',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  };
  const mufasa = { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle of Life', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 };

  it('RFC 7616 §3.9.1: SHA-256 is chosen over MD5 and gives the published response', () => {
    const c = pickChallenge([digest({ ...rfc7616, algorithm: 'MD5' }), digest({ ...rfc7616, algorithm: 'SHA-256' })]);
    assert.ok(!('error' in c));
    assert.equal(c.algorithm, 'SHA-256');
    const h = authorize({ challenge: c, ...mufasa });
    assert.equal(h.params.response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(h.params.algorithm, 'SHA-256');
    assert.equal(h.params.opaque, rfc7616.opaque);
  });

  it('RFC 7616 §3.9.1: the MD5 variant', () => {
    const h = authorize({ challenge: challenge(digest({ ...rfc7616, algorithm: 'MD5' })), ...mufasa });
    assert.equal(h.params.response, '8ca523f5e9506fed4657c9700eebdbec');
  });

  it('a real 2002 Cisco REGISTER (peer/real/39): MD5 without qop, RFC 2069 style', () => {
    const m = parseMessage(readFileSync('../shared/peer/real/39_register_cisco-csco4_proxy-authorization.sip')) as SipRequest;
    const sent = m.headers.proxyAuthorization?.[0];
    assert.ok(sent);
    const c = challenge(digest({ realm: sent.params.realm!, nonce: sent.params.nonce!, algorithm: 'MD5' }));
    const h = authorize({ challenge: c, method: m.method, uri: sent.params.uri!, username: sent.params.username!, password: 'secret' });
    assert.equal(h.params.response, '8485db84088e6be6c55717d2eb891eca');
    assert.equal(h.params.response, sent.params.response);
    assert.equal(h.params.qop, undefined);
    assert.equal(h.params.nc, undefined);
    assert.equal(h.params.cnonce, undefined);
  });
});

// Computed with python3 hashlib from these inputs:
// username door, password s3cr3t-Pa55, realm intercom.test, nonce 4f6e1a2b3c4d5e6f,
// method REGISTER, uri sip:intercom.test, cnonce 0a1b2c3d4e5f6071, nc 00000001.
const sip = { method: 'REGISTER', uri: 'sip:intercom.test', username: 'door', password: 's3cr3t-Pa55', cnonce: '0a1b2c3d4e5f6071', nc: 1 };
const sipChallenge = { realm: 'intercom.test', nonce: '4f6e1a2b3c4d5e6f' };

describe('SIP REGISTER vectors', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['SHA-256 qop=auth', { algorithm: 'SHA-256', qop: 'auth' }, 'b9a84c3c356661a614fad06a9249c8732c45ddff0e13351584064a359607fb5b'],
    ['SHA-256 no qop', { algorithm: 'SHA-256' }, 'e59152f40965384c2e24813c7bb83b7104e6ebcf47abd99aa4bcb4cf994fb6df'],
    ['MD5 qop=auth', { algorithm: 'MD5', qop: 'auth' }, '7145eb30fe0c9a5c75dc1544279987e2'],
    ['MD5 (no algorithm) no qop', {}, '8c44ea0805dc02990feccb953d1b2d41'],
    ['SHA-512-256 qop=auth', { algorithm: 'SHA-512-256', qop: 'auth' }, 'efda38bdbfc3de28fcab176c293e285fb9b1b063d28f6c2d905bd97a937353f5'],
    ['SHA-512-256 no qop', { algorithm: 'SHA-512-256' }, '2b4261f276f171bd2bfb6085388683a499cfeb10e43aa6c72e28169daf95e99d'],
    ['MD5-sess qop=auth', { algorithm: 'MD5-sess', qop: 'auth' }, '0481b6311398f6010ed31bd2ce12d2ad'],
  ];
  for (const [name, extra, want] of cases) {
    it(name, () => {
      const h = authorize({ challenge: challenge(digest({ ...sipChallenge, ...extra })), ...sip });
      assert.equal(h.params.response, want);
    });
  }

  it('SHA-256 qop=auth-int over an SDP body, nc 2 (INVITE)', () => {
    const body = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n');
    const c = challenge(digest({ ...sipChallenge, algorithm: 'SHA-256', qop: 'auth-int' }));
    const h = authorize({ challenge: c, ...sip, method: 'INVITE', uri: 'sip:1001@intercom.test', nc: 2, body });
    assert.equal(h.params.qop, 'auth-int');
    assert.equal(h.params.nc, '00000002');
    assert.equal(h.params.response, 'c318dc61bad7c1dabae7f531855bae81cc749e52f9d6474c332f1f7508e6a2fd');
  });

  it('userhash=true sends H(username:realm) (RFC 7616 §3.4.4)', () => {
    const h = authorize({ challenge: challenge(digest({ ...sipChallenge, algorithm: 'SHA-256', qop: 'auth', userhash: 'true' })), ...sip });
    assert.equal(h.params.username, '0883a4969826e7189ccd9d86ae82c2892f9cf6dfa002d334c6d3f390c7677aa1');
    assert.equal(h.params.userhash, 'true');
    assert.equal(h.params.response, 'b9a84c3c356661a614fad06a9249c8732c45ddff0e13351584064a359607fb5b');
  });

  it('prefers qop=auth when both are offered, echoes the algorithm as written', () => {
    const h = authorize({ challenge: challenge(digest({ ...sipChallenge, algorithm: 'sha-256', qop: 'auth-int,auth' })), ...sip });
    assert.equal(h.params.qop, 'auth');
    assert.equal(h.params.algorithm, 'sha-256');
    assert.equal(h.params.response, 'b9a84c3c356661a614fad06a9249c8732c45ddff0e13351584064a359607fb5b');
  });

  it('makes a random cnonce when none is given', () => {
    const c = challenge(digest({ ...sipChallenge, qop: 'auth' }));
    const a = authorize({ challenge: c, ...sip, cnonce: undefined });
    const b = authorize({ challenge: c, ...sip, cnonce: undefined });
    assert.match(a.params.cnonce!, /^[0-9a-f]{32}$/);
    assert.notEqual(a.params.cnonce, b.params.cnonce);
  });

  it('formats nc, qop and algorithm as tokens and parses back to the same values', () => {
    const h = authorize({ challenge: challenge(digest({ ...sipChallenge, algorithm: 'SHA-256', qop: 'auth', opaque: 'o"p' })), ...sip });
    const text = formatAuth(h);
    assert.match(text, /^Digest username="door", realm="intercom\.test", nonce="4f6e1a2b3c4d5e6f", uri="sip:intercom\.test", response="[0-9a-f]{64}", /);
    assert.match(text, /, algorithm=SHA-256, cnonce="0a1b2c3d4e5f6071", opaque="o\\"p", qop=auth, nc=00000001$/);
    const msg = parseMessage(
      Buffer.from(
        `REGISTER sip:intercom.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\nFrom: <sip:door@intercom.test>;tag=1\r\nTo: <sip:door@intercom.test>\r\nCall-ID: d1\r\nCSeq: 2 REGISTER\r\nAuthorization: ${text}\r\nContent-Length: 0\r\n\r\n`,
      ),
    );
    assert.deepEqual(msg.headers.authorization, [h]);
  });
});

describe('choosing a challenge', () => {
  it('ranks SHA-512-256 over SHA-256 over MD5 whatever the order', () => {
    const offered = [
      digest({ ...sipChallenge, algorithm: 'MD5', qop: 'auth' }),
      digest({ ...sipChallenge, algorithm: 'SHA-512-256', qop: 'auth' }),
      digest({ ...sipChallenge, algorithm: 'SHA-256', qop: 'auth' }),
    ];
    for (const list of [offered, [...offered].reverse()]) {
      const c = pickChallenge(list);
      assert.ok(!('error' in c));
      assert.equal(c.algorithm, 'SHA-512-256');
    }
  });

  it('skips unknown schemes, algorithms and qops', () => {
    const c = pickChallenge([
      { scheme: 'NTLM', params: { realm: 'x' } },
      digest({ ...sipChallenge, algorithm: 'SHA-1' }),
      digest({ ...sipChallenge, qop: 'auth-conf' }),
      digest({ ...sipChallenge, nonce: 'other', qop: 'auth-conf,auth' }),
    ]);
    assert.ok(!('error' in c));
    assert.equal(c.nonce, 'other');
    assert.deepEqual(c.qop, ['auth']);
  });

  it('says what was offered when nothing is usable', () => {
    assert.deepEqual(pickChallenge([]), { error: 'no supported digest challenge (offered: none)' });
    assert.deepEqual(pickChallenge([{ scheme: 'Basic', params: { realm: 'x' } }, digest({ ...sipChallenge, algorithm: 'SHA-1' })]), {
      error: 'no supported digest challenge (offered: Basic, Digest algorithm=SHA-1)',
    });
    assert.equal(readChallenge(digest({ realm: 'r' })), 'challenge without nonce');
    assert.equal(readChallenge(digest({ nonce: 'n' })), 'challenge without realm');
    assert.equal(readChallenge(digest({ ...sipChallenge, algorithm: 'MD5-sess' })), 'MD5-sess without qop');
  });

  it('reads stale, opaque and the algorithm token', () => {
    const c = challenge(digest({ ...sipChallenge, algorithm: 'md5', stale: 'TRUE', opaque: '' }));
    assert.deepEqual(c, { ...sipChallenge, algorithm: 'MD5', algorithmToken: 'md5', opaque: '', qop: [], stale: true, userhash: false });
  });
});

// --- the client ---------------------------------------------------------------

function challengeResponse(status: 401 | 407, challenges: AuthHeader[], cseq: number, callId = 'reg-1'): SipResponse {
  return {
    kind: 'response',
    status,
    reason: status === 401 ? 'Unauthorized' : 'Proxy Authentication Required',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.2', port: 5060, params: { branch: `z9hG4bK${cseq}` } }],
      from: { uri: 'sip:door@intercom.test', params: { tag: 'f1' } },
      to: { uri: 'sip:door@intercom.test', params: { tag: 't1' } },
      callId,
      cseq: { seq: cseq, method: 'REGISTER' },
      ...(status === 401 ? { wwwAuthenticate: challenges } : { proxyAuthenticate: challenges }),
      other: {},
    },
    body: Buffer.alloc(0),
  };
}

const creds = { username: 'door', password: 's3cr3t-Pa55' };
const fixedCnonce = () => '0a1b2c3d4e5f6071';
const ch = (nonce: string, extra: Record<string, string> = {}) => digest({ realm: 'intercom.test', nonce, algorithm: 'SHA-256', qop: 'auth', ...extra });

describe('DigestClient', () => {
  it('answers a 401, then reports a second non-stale challenge to that answer as rejected', () => {
    const client = new DigestClient(creds, fixedCnonce);
    const first = client.answer(challengeResponse(401, [ch('4f6e1a2b3c4d5e6f')], 1), 'REGISTER', 'sip:intercom.test');
    assert.ok(first.ok);
    assert.equal(first.proxy, false);
    assert.equal(first.header.params.response, 'b9a84c3c356661a614fad06a9249c8732c45ddff0e13351584064a359607fb5b');
    const second = client.answer(challengeResponse(401, [ch('n2')], 2), 'REGISTER', 'sip:intercom.test');
    assert.deepEqual(second, { ok: false, rejected: true, error: 'credentials rejected for realm "intercom.test"' });
  });

  it('retries once on stale=true with the new nonce, then gives up without blaming the password', () => {
    const client = new DigestClient(creds, fixedCnonce);
    const out1 = client.onChallenge([ch('n1')], 'REGISTER', 'sip:intercom.test', { exchange: { callId: 'c', cseq: 1 } });
    assert.equal(out1.kind, 'fresh');
    const out2 = client.onChallenge([ch('n2', { stale: 'true' })], 'REGISTER', 'sip:intercom.test', { exchange: { callId: 'c', cseq: 2 } });
    assert.equal(out2.kind, 'stale');
    assert.ok('header' in out2);
    assert.equal(out2.header.params.nonce, 'n2');
    assert.equal(out2.header.params.nc, '00000001');
    const out3 = client.onChallenge([ch('n3', { stale: 'true' })], 'REGISTER', 'sip:intercom.test', { exchange: { callId: 'c', cseq: 3 } });
    assert.equal(out3.kind, 'error');
    const viaAnswer = new DigestClient(creds, fixedCnonce);
    viaAnswer.answer(challengeResponse(401, [ch('n1')], 1), 'REGISTER', 'sip:intercom.test');
    viaAnswer.answer(challengeResponse(401, [ch('n2', { stale: 'true' })], 2), 'REGISTER', 'sip:intercom.test');
    const last = viaAnswer.answer(challengeResponse(401, [ch('n3', { stale: 'true' })], 3), 'REGISTER', 'sip:intercom.test');
    assert.equal(last.ok, false);
    assert.equal(!last.ok && last.rejected, false);
  });

  it('treats a challenge to a later request (a refresh) as fresh', () => {
    const client = new DigestClient(creds, fixedCnonce);
    assert.ok(client.answer(challengeResponse(401, [ch('n1')], 1), 'REGISTER', 'sip:intercom.test').ok);
    // CSeq 2 carried the answer and got 200; the refresh is CSeq 3.
    assert.ok(client.answer(challengeResponse(401, [ch('n2')], 3), 'REGISTER', 'sip:intercom.test').ok);
    // Another Call-ID (an INVITE) is independent.
    assert.ok(client.answer(challengeResponse(407, [ch('n3')], 4, 'call-1'), 'INVITE', 'sip:1001@intercom.test').ok);
  });

  it('without an exchange: a challenge right after our answer is a rejection unless accepted() came between', () => {
    const client = new DigestClient(creds, fixedCnonce);
    assert.equal(client.onChallenge([ch('n1')], 'REGISTER', 'sip:intercom.test').kind, 'fresh');
    client.accepted();
    assert.equal(client.onChallenge([ch('n2')], 'REGISTER', 'sip:intercom.test').kind, 'fresh');
    assert.equal(client.onChallenge([ch('n3')], 'REGISTER', 'sip:intercom.test').kind, 'rejected');
    // Another realm (a second proxy) is not a rejection.
    assert.equal(client.onChallenge([digest({ realm: 'proxy.test', nonce: 'p1' })], 'REGISTER', 'sip:intercom.test').kind, 'fresh');
  });

  it('reuses the nonce with an incrementing nc and the same cnonce', () => {
    const client = new DigestClient(creds, fixedCnonce);
    assert.equal(client.reuse('REGISTER', 'sip:intercom.test'), undefined);
    client.answer(challengeResponse(407, [ch('4f6e1a2b3c4d5e6f')], 1), 'REGISTER', 'sip:intercom.test');
    const again = client.reuse('REGISTER', 'sip:intercom.test');
    assert.ok(again);
    assert.equal(again.proxy, true);
    assert.equal(again.header.params.nc, '00000002');
    assert.equal(again.header.params.cnonce, '0a1b2c3d4e5f6071');
    const expected = authorize({ challenge: challenge(ch('4f6e1a2b3c4d5e6f')), ...sip, nc: 2 });
    assert.equal(again.header.params.response, expected.params.response);
    assert.equal(client.reuse('REGISTER', 'sip:intercom.test')?.header.params.nc, '00000003');
    // The same nonce challenged again continues the count.
    const same = client.onChallenge([ch('4f6e1a2b3c4d5e6f')], 'REGISTER', 'sip:intercom.test', { proxy: true });
    assert.ok('header' in same);
    assert.equal(same.header.params.nc, '00000004');
    client.reset();
    assert.equal(client.reuse('REGISTER', 'sip:intercom.test'), undefined);
  });

  describe('pre-emptive credentials (RFC 3261 §22.3)', () => {
    const INVITE_URI = 'sip:101@intercom.test';
    const OFFER = Buffer.from('v=0\r\n');

    it('offers nothing before the method was challenged, then the realm\'s last nonce with the next nc in the header that was asked for', () => {
      const client = new DigestClient(creds, fixedCnonce);
      assert.equal(client.preempt('INVITE', INVITE_URI, OFFER), undefined);
      // The registrar challenges REGISTER (401): that alone says nothing of which header an INVITE needs.
      client.answer(challengeResponse(401, [ch('n1', { opaque: 'op1' })], 1), 'REGISTER', 'sip:intercom.test');
      assert.equal(client.preempt('INVITE', INVITE_URI, OFFER), undefined);
      // The first call is challenged with 407 and a new nonce: answered with nc 1.
      const first = client.answer(challengeResponse(407, [ch('n2', { opaque: 'op2' })], 1, 'call-1'), 'INVITE', INVITE_URI, OFFER);
      assert.ok(first.ok);
      assert.equal(first.header.params.nc, '00000001');
      // The next calls carry Proxy-Authorization for n2 at once, nc 2, 3, with the same cnonce, opaque, algorithm and qop.
      for (const nc of [2, 3]) {
        const pre = client.preempt('INVITE', INVITE_URI, OFFER);
        assert.ok(pre);
        assert.equal(pre.proxy, true);
        const p = pre.header.params;
        assert.deepEqual(
          { nonce: p.nonce, nc: p.nc, cnonce: p.cnonce, opaque: p.opaque, algorithm: p.algorithm, qop: p.qop, realm: p.realm, uri: p.uri },
          { nonce: 'n2', nc: `0000000${nc}`, cnonce: '0a1b2c3d4e5f6071', opaque: 'op2', algorithm: 'SHA-256', qop: 'auth', realm: 'intercom.test', uri: INVITE_URI },
        );
        const expected = authorize({ challenge: challenge(ch('n2', { opaque: 'op2' })), method: 'INVITE', uri: INVITE_URI, ...creds, cnonce: '0a1b2c3d4e5f6071', nc });
        assert.equal(p.response, expected.params.response);
      }
      // A later 401 to a REGISTER refresh brings a new nonce for the realm: the next INVITE uses it from nc 2 (the refresh had 1).
      client.answer(challengeResponse(401, [ch('n3')], 5), 'REGISTER', 'sip:intercom.test');
      const after = client.preempt('INVITE', INVITE_URI, OFFER);
      assert.equal(after?.proxy, true);
      assert.equal(after?.header.params.nonce, 'n3');
      assert.equal(after?.header.params.nc, '00000002');
      client.reset();
      assert.equal(client.preempt('INVITE', INVITE_URI, OFFER), undefined);
    });

    it('a challenge to a pre-emptive request (stale or a new nonce) is answered once as a fresh one; a second is a rejection', () => {
      const client = new DigestClient(creds, fixedCnonce);
      client.answer(challengeResponse(407, [ch('n1')], 1, 'call-1'), 'INVITE', INVITE_URI, OFFER);
      // Call 2 sends CSeq 1 with n1 pre-emptively; the server has dropped n1.
      assert.ok(client.preempt('INVITE', INVITE_URI, OFFER));
      const stale = client.answer(challengeResponse(407, [ch('n2', { stale: 'true' })], 1, 'call-2'), 'INVITE', INVITE_URI, OFFER);
      assert.ok(stale.ok);
      assert.equal(stale.header.params.nonce, 'n2');
      assert.equal(stale.header.params.nc, '00000001');
      // Call 3: a plain new nonce (no stale flag) is also answered, once.
      assert.equal(client.preempt('INVITE', INVITE_URI, OFFER)?.header.params.nonce, 'n2');
      const fresh = client.answer(challengeResponse(407, [ch('n3')], 1, 'call-3'), 'INVITE', INVITE_URI, OFFER);
      assert.ok(fresh.ok);
      // ...and a challenge to that answer means the password is wrong: no loop.
      const again = client.answer(challengeResponse(407, [ch('n4')], 2, 'call-3'), 'INVITE', INVITE_URI, OFFER);
      assert.deepEqual(again, { ok: false, rejected: true, error: 'credentials rejected for realm "intercom.test"' });
    });

    it('keeps servers apart: a phone called directly never gets the registrar\'s nonce, nor the registrar the phone\'s', () => {
      const client = new DigestClient(creds, fixedCnonce);
      client.answer(challengeResponse(401, [ch('phone-n', { realm: 'phone' })], 1, 'call-1'), 'INVITE', INVITE_URI, OFFER, 'UDP:127.0.0.9:5060');
      assert.equal(client.preempt('INVITE', INVITE_URI, OFFER), undefined);
      const phone = client.preempt('INVITE', INVITE_URI, OFFER, 'UDP:127.0.0.9:5060');
      assert.equal(phone?.proxy, false);
      assert.equal(phone?.header.params.realm, 'phone');
    });
  });

  it('gives clear errors for a 401 without challenge and for unusable challenges', () => {
    const client = new DigestClient(creds);
    assert.deepEqual(client.answer(challengeResponse(401, [], 1), 'REGISTER', 'sip:intercom.test'), {
      ok: false,
      rejected: false,
      error: '401 response without a WWW-Authenticate header',
    });
    const noHeader = challengeResponse(407, [], 1);
    delete noHeader.headers.proxyAuthenticate;
    assert.deepEqual(challengesOf(noHeader), { error: '407 response without a Proxy-Authenticate header' });
    assert.deepEqual(challengesOf({ ...noHeader, status: 403 }), { error: '403 is not an authentication challenge' });
    const basic = client.answer(challengeResponse(401, [{ scheme: 'Basic', params: { realm: 'x' } }], 1), 'REGISTER', 'sip:intercom.test');
    assert.deepEqual(basic, { ok: false, rejected: false, error: 'no supported digest challenge (offered: Basic)' });
  });

  it('answers a 401 parsed from the wire (Asterisk 407 from peer/real/10)', () => {
    const res = parseMessage(readFileSync('../shared/peer/real/10_407-proxy-auth-required_invite_asterisk.sip')) as SipResponse;
    const a = new DigestClient(creds, fixedCnonce).answer(res, 'INVITE', 'sip:303@sip.blueface.ie');
    assert.ok(a.ok);
    assert.equal(a.proxy, true);
    assert.equal(a.header.params.realm, 'asterisk');
    assert.equal(a.header.params.nonce, '15aeff81');
    assert.equal(a.header.params.qop, undefined);
  });
});
