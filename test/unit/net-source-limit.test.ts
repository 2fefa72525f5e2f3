// The per-source token bucket on the SIP port: a flood is cut to its burst and
// rate, reported once a minute, other sources unaffected, memory bounded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SourceLimit } from '../../src/net/source-limit.ts';
import { replyToUnparsable } from '../../src/sip/unparsable-reply.ts';
import { SipParseError } from '../../src/sip/message.ts';

describe('SourceLimit', () => {
  it('lets a burst through, then the sustained rate, and reports drops at most once a minute', () => {
    let now = 0;
    const l = new SourceLimit({ burst: 5, perSecond: 2, maxSources: 10, now: () => now });
    const verdicts = Array.from({ length: 100 }, () => l.take('198.51.100.7'));
    assert.equal(verdicts.filter((v) => v.allowed).length, 5);
    assert.deepEqual(
      verdicts.filter((v) => !v.allowed && v.report).length,
      1,
      'one report for a run of 95 drops',
    );
    assert.equal(l.take('127.0.0.5').allowed, true, 'another source is unaffected');
    now += 1000;
    assert.equal([1, 2, 3].map(() => l.take('198.51.100.7').allowed).filter(Boolean).length, 2);
    now += 61_000;
    for (let i = 0; i < 5; i++) l.take('198.51.100.7');
    const v = l.take('198.51.100.7');
    assert.ok(!v.allowed && v.report && v.dropped === 96, JSON.stringify(v));
  });

  it('forgets the least recently seen source when full', () => {
    const l = new SourceLimit({ burst: 1, perSecond: 0, maxSources: 3, now: () => 0 });
    for (let i = 0; i < 1000; i++) l.take(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(l.size, 3);
  });
});

describe('replyToUnparsable', () => {
  const bad = Buffer.from(
    'OPTIONS sip:door@127.0.0.2 SIP/7.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKx\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:door@127.0.0.2>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n',
  );
  const src = { protocol: 'UDP' as const, address: '127.0.0.9', port: 40000 };

  it('answers at the source address, on the Via port, never at the Via host', () => {
    const r = replyToUnparsable(bad, new SipParseError('x', 'version', 505), src)!;
    assert.deepEqual(r.dest, { protocol: 'UDP', address: '127.0.0.9', port: 5070 });
    assert.match(r.bytes.toString(), /^SIP\/2\.0 505 Version Not Supported\r\n/);
    assert.match(r.bytes.toString(), /\r\nTo: <sip:door@127\.0\.0\.2>;tag=[0-9a-f]+\r\n/);
  });

  it('uses the source port with rport, the same connection on TCP, and gives no parser detail', () => {
    const withRport = Buffer.from(bad.toString().replace(';branch', ';rport;branch'));
    const r = replyToUnparsable(withRport, new SipParseError('secret detail', 'version', 505), src)!;
    assert.deepEqual(r.dest, src);
    assert.ok(!r.bytes.toString().includes('secret detail'));
    const tcp = { ...src, protocol: 'TCP' as const };
    assert.deepEqual(replyToUnparsable(bad, new SipParseError('x'), tcp)!.dest, tcp);
  });

  it('drops responses and ACKs', () => {
    assert.equal(replyToUnparsable(Buffer.from('SIP/2.0 999999 X\r\n\r\n'), new SipParseError('x'), src), undefined);
    const ack = Buffer.from(bad.toString().replace('OPTIONS sip', 'ACK sip'));
    assert.equal(replyToUnparsable(ack, new SipParseError('x'), src), undefined);
  });
});
