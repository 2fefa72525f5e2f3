import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeUa, reply, requests, SERVER } from './sip-harness.ts';

function options(ua: ReturnType<typeof makeUa>['ua']) {
  return ua.buildRequest({
    method: 'OPTIONS',
    uri: 'sip:127.0.0.1',
    from: ua.fromHeader(),
    to: { uri: 'sip:127.0.0.1', params: {} },
    callId: 'c1@x',
    cseq: 1,
  });
}

describe('client transactions (RFC 3261 §17.1)', () => {
  it('retransmits a non-INVITE request over UDP with intervals doubling up to T2 and times out at 64*T1', () => {
    const { ua, sent, timers } = makeUa();
    const outcomes: string[] = [];
    ua.sendRequest(options(ua), (o) => outcomes.push(o.kind));
    const times: number[] = [];
    let seen = 0;
    for (let t = 0; t <= 40_000; t += 100) {
      if (sent.length > seen) {
        for (; seen < sent.length; seen++) times.push(timers.now());
      }
      timers.advance(100);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.deepEqual(gaps.slice(0, 5), [500, 1000, 2000, 4000, 4000]);
    assert.ok(gaps.every((g) => g <= 4000), 'never beyond T2');
    assert.deepEqual(outcomes, ['timeout']);
    assert.ok(Math.abs(times.at(-1)! - 32_000) <= 4000);
    assert.equal(ua.transactionCount, 0);
    assert.equal(timers.size, 0, 'no timer left behind');
  });

  it('still times out after 100 Trying (the sip package waits forever there)', () => {
    const { ua, sent, timers } = makeUa();
    const outcomes: string[] = [];
    ua.sendRequest(options(ua), (o) => outcomes.push(o.kind === 'response' ? String(o.response.status) : o.kind));
    ua.receive(reply(requests(sent)[0]!, 100, 'Trying'), SERVER);
    const before = sent.length;
    timers.advance(31_000);
    assert.ok(sent.length > before, 'keeps retransmitting at T2 in Proceeding');
    timers.advance(2_000);
    assert.deepEqual(outcomes, ['100', 'timeout']);
  });

  it('absorbs response retransmissions after the final response', () => {
    const { ua, sent, timers } = makeUa();
    const outcomes: number[] = [];
    ua.sendRequest(options(ua), (o) => o.kind === 'response' && outcomes.push(o.response.status));
    const ok = reply(requests(sent)[0]!, 200, 'OK', { toTag: 'x' });
    ua.receive(ok, SERVER);
    ua.receive(ok, SERVER);
    assert.deepEqual(outcomes, [200]);
    timers.advance(5000);
    assert.equal(ua.transactionCount, 0);
  });

  it('ACKs a non-2xx final response to INVITE itself, on the same branch', () => {
    const { ua, sent } = makeUa();
    const inv = ua.buildRequest({
      method: 'INVITE',
      uri: 'sip:101@127.0.0.1',
      from: ua.fromHeader(),
      to: { uri: 'sip:101@127.0.0.1', params: {} },
      callId: 'c2@x',
      cseq: 7,
    });
    ua.sendRequest(inv, () => {});
    ua.receive(reply(requests(sent)[0]!, 486, 'Busy Here', { toTag: 'b' }), SERVER);
    const ack = requests(sent, 'ACK')[0]!;
    assert.equal(ack.headers.via[0]!.params.branch, inv.headers.via[0]!.params.branch);
    assert.equal(ack.headers.cseq.seq, 7);
    assert.equal(ack.headers.to.params.tag, 'b');
  });
});

describe('the user-agent core as a server', () => {
  const from = { uri: 'sip:pbx@127.0.0.1', params: { tag: 'p1' } };
  function incoming(method: string, extra: Record<string, unknown> = {}) {
    return {
      kind: 'request' as const,
      method,
      uri: 'sip:door@127.0.0.2:5070',
      headers: {
        via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: 'z9hG4bK' + method + Math.random(), rport: null } }],
        from,
        to: { uri: 'sip:door@127.0.0.2', params: {} },
        callId: 'in-' + method,
        cseq: { seq: 1, method },
        other: {},
        ...extra,
      },
      body: Buffer.alloc(0),
    };
  }

  it('answers OPTIONS (PBX qualify) with 200 and Allow, to the source port (rport)', () => {
    const { ua, sent } = makeUa();
    ua.receive(incoming('OPTIONS'), { protocol: 'UDP', address: '127.0.0.1', port: 40000 });
    const res = sent[0]!;
    assert.equal(res.msg.kind === 'response' && res.msg.status, 200);
    assert.match(String(res.msg.headers.other.allow), /INVITE/);
    assert.equal(res.dest.port, 40000);
    assert.equal(res.msg.headers.via[0]!.params.rport, '40000');
  });

  it('refuses an INVITE outside a dialog (486), and a retransmission gets the same answer', () => {
    const { ua, sent } = makeUa();
    const inv = incoming('INVITE');
    ua.receive(inv, { protocol: 'UDP', address: '127.0.0.1', port: 5060 });
    ua.receive(inv, { protocol: 'UDP', address: '127.0.0.1', port: 5060 });
    const statuses = sent.map((s) => s.msg.kind === 'response' && s.msg.status);
    assert.deepEqual(statuses, [486, 486]);
  });

  it('answers 481 to BYE for no dialog, 501 to unknown methods, 420 to unknown Require', () => {
    const { ua, sent } = makeUa();
    const src = { protocol: 'UDP' as const, address: '127.0.0.1', port: 5060 };
    ua.receive(incoming('BYE', { to: { uri: 'sip:door@x', params: { tag: 'zz' } } }), src);
    ua.receive(incoming('FROB'), src);
    ua.receive(incoming('OPTIONS', { other: { require: ['foo'] } }), src);
    assert.deepEqual(
      sent.map((s) => s.msg.kind === 'response' && s.msg.status),
      [481, 501, 420],
    );
  });
});
