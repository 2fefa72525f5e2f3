// Regression tests for defects of the npm `sip` package (0.0.6) that our codec
// and digest code fix. Each test shows the package's behaviour first, so the
// test says so if a new package version changes it, then ours.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { authorize, challengesOf, pickChallenge } from '../../src/sip/digest.ts';
import { parseMessage, serializeMessage, SipParseError, type SipRequest, type SipResponse } from '../../src/sip/message.ts';

const require = createRequire(import.meta.url);

// The package's loose shapes, as far as these tests touch them.
interface PkgMessage {
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  headers: Record<string, unknown>;
  content?: string;
}
interface PkgAor {
  name?: string;
  uri?: unknown;
}
const pkg = require('sip') as { parse(b: Buffer): PkgMessage | undefined; stringify(m: PkgMessage): string };
const pkgDigest = require('sip/digest') as {
  signRequest(ctx: object, rq: PkgMessage, rs: { status: number; headers: Record<string, unknown> }, creds: { user: string; password: string }): unknown;
};

const SIP_HEAD = 'Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\nFrom: <sip:b@127.0.0.2>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c1\r\n';

describe('sip package defects fixed by our codec', () => {
  it('Content-Length counts bytes, not UTF-16 units, for a UTF-8 body', () => {
    const text = 'Tür auf – Grüße €';
    const theirs = pkg.stringify({
      method: 'MESSAGE',
      uri: 'sip:a@127.0.0.1',
      headers: { to: { uri: 'sip:a@127.0.0.1' }, from: { uri: 'sip:b@127.0.0.2', params: { tag: '1' } }, 'call-id': 'c1', cseq: { seq: 1, method: 'MESSAGE' } },
      content: text,
    });
    assert.match(theirs, new RegExp(`Content-Length: ${text.length}\\r\\n`));
    assert.notEqual(text.length, Buffer.byteLength(text));

    const ours = parseMessage(Buffer.from(`MESSAGE sip:a@127.0.0.1 SIP/2.0\r\n${SIP_HEAD}CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`));
    const wire = serializeMessage({ ...ours, body: Buffer.from(text) });
    assert.match(wire.toString('utf8'), new RegExp(`Content-Length: ${Buffer.byteLength(text)}\\r\\n`));
    assert.equal(parseMessage(wire).body.toString('utf8'), text);
  });

  it('serializeMessage does not mutate its input', () => {
    const theirs: PkgMessage = {
      method: 'OPTIONS',
      uri: 'sip:a@127.0.0.1',
      headers: { to: { uri: 'sip:a@127.0.0.1' }, from: { uri: 'sip:b@127.0.0.2' }, 'call-id': 'c1', cseq: { seq: 1, method: 'OPTIONS' } },
    };
    pkg.stringify(theirs);
    assert.equal(theirs.headers['content-length'], 0, 'the package writes content-length into the message');

    const ours = parseMessage(bytes('rfc4475', 'wsinv.dat'));
    const before = JSON.stringify(ours);
    serializeMessage(ours);
    serializeMessage(ours);
    assert.equal(JSON.stringify(ours), before);
  });

  it('UTF-8 display names survive parse -> serialize', () => {
    const wire = Buffer.from(
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\nFrom: "Jürgen" <sip:j@127.0.0.2>;tag=1\r\nTo: 门铃 <sip:d@127.0.0.1>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
    );
    const theirs = pkg.parse(wire);
    assert.equal((theirs?.headers.from as PkgAor).name, '"JÃ¼rgen"', 'the package decodes the bytes as latin1');

    const ours = parseMessage(wire) as SipResponse;
    assert.equal(ours.headers.from.name, '"Jürgen"');
    assert.equal(ours.headers.to.name, '门铃');
    const again = serializeMessage(ours);
    assert.ok(again.includes(Buffer.from('From: "Jürgen" <sip:j@127.0.0.2>;tag=1\r\n')));
    assert.ok(again.includes(Buffer.from('To: 门铃 <sip:d@127.0.0.1>;tag=2\r\n')));
    assert.deepEqual(parseMessage(again), ours);
  });

  it('a header that does not parse is reported, not silently dropped', () => {
    const wire = Buffer.from(`OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: garbage here\r\nFrom: <sip:b@127.0.0.2>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
    const theirs = pkg.parse(wire);
    assert.ok(theirs, 'the package returns a message');
    assert.equal(theirs.headers.via, undefined, 'and the Via is just gone');

    assert.throws(
      () => parseMessage(wire),
      (e: unknown) => e instanceof SipParseError && e.header === 'via' && /^bad Via header: unknown protocol "garbage"/.test(e.message),
    );
  });

  it('Route URIs, IPv6 Vias, escaped methods and header names are read as written', () => {
    const route = Buffer.from(`BYE sip:a@127.0.0.1 SIP/2.0\r\n${SIP_HEAD}CSeq: 2 BYE\r\nRoute: <sip:[::1]:5070;lr>\r\nContent-Length: 0\r\n\r\n`);
    const theirRoute = (pkg.parse(route)?.headers.route as PkgAor[])[0];
    assert.equal(theirRoute?.uri, undefined, 'the package loses an IPv6 Route');
    assert.equal((parseMessage(route) as SipRequest).headers.route?.[0]?.uri, 'sip:[::1]:5070;lr');

    const v6 = bytes('rfc5118', 'ipv6-good.dat');
    assert.equal((pkg.parse(v6)?.headers.via as { host: string }[])[0]?.host, '[2001');
    assert.equal(parseMessage(v6).headers.via[0]?.host, '[2001:db8::9:1]');

    const esc = bytes('rfc4475', 'esc02.dat');
    const theirs = pkg.parse(esc);
    assert.equal(theirs?.method, 'REGISTER', 'the package unescapes RE%47IST%45R');
    assert.equal((theirs?.headers.contact as unknown[]).length, 3, 'and C%6Fntact');
    const ours = parseMessage(esc) as SipRequest;
    assert.equal(ours.method, 'RE%47IST%45R');
    assert.equal(ours.headers.contact === '*' ? -1 : ours.headers.contact?.length, 2);
  });
});

describe('sip package digest defects fixed by ours', () => {
  it('a 401 without a challenge header is an error, not a crash', () => {
    assert.throws(
      () => pkgDigest.signRequest({}, { method: 'REGISTER', uri: 'sip:intercom.test', headers: {} }, { status: 401, headers: {} }, { user: 'door', password: 'x' }),
      TypeError,
    );
    const res = parseMessage(Buffer.from(`SIP/2.0 401 Unauthorized\r\n${SIP_HEAD.replace('To: <sip:a@127.0.0.1>', 'To: <sip:a@127.0.0.1>;tag=9')}CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n`)) as SipResponse;
    assert.deepEqual(challengesOf(res), { error: '401 response without a WWW-Authenticate header' });
  });

  it('a SHA-256 challenge is answered with SHA-256, not MD5', () => {
    const rq: PkgMessage = { method: 'REGISTER', uri: 'sip:intercom.test', headers: {} };
    const challengeText = { scheme: 'Digest', realm: '"intercom.test"', nonce: '"4f6e1a2b3c4d5e6f"', algorithm: 'SHA-256', qop: '"auth"' };
    pkgDigest.signRequest({}, rq, { status: 401, headers: { 'www-authenticate': [challengeText] } }, { user: 'door', password: 's3cr3t-Pa55' });
    const theirs = (rq.headers.authorization as Record<string, string>[])[0]!;
    const theirResponse = theirs.response!.replace(/"/g, '');
    const theirCnonce = theirs.cnonce!.replace(/"/g, '');
    assert.equal(theirResponse.length, 32, 'the package sends an MD5-sized response');
    const base = { method: 'REGISTER', uri: 'sip:intercom.test', username: 'door', password: 's3cr3t-Pa55', cnonce: theirCnonce, nc: 1 };
    const md5 = pickChallenge([{ scheme: 'Digest', params: { realm: 'intercom.test', nonce: '4f6e1a2b3c4d5e6f', algorithm: 'MD5', qop: 'auth' } }]);
    assert.ok(!('error' in md5));
    assert.equal(theirResponse, authorize({ challenge: md5, ...base }).params.response, 'computed with MD5 while claiming SHA-256');

    const sha = pickChallenge([{ scheme: 'Digest', params: { realm: 'intercom.test', nonce: '4f6e1a2b3c4d5e6f', algorithm: 'SHA-256', qop: 'auth' } }]);
    assert.ok(!('error' in sha));
    const ours = authorize({ challenge: sha, ...base, cnonce: '0a1b2c3d4e5f6071' });
    // Computed independently with python3 hashlib (see sip-digest.test.ts).
    assert.equal(ours.params.response, 'b9a84c3c356661a614fad06a9249c8732c45ddff0e13351584064a359607fb5b');
  });
});

function bytes(dir: string, file: string): Buffer {
  return readFileSync(`../shared/peer/${dir}/${file}`);
}
