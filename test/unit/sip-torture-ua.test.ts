// The whole receive path of the SIP core — bytes in, parse, stateless 400/505
// or the UA's answer out — against the RFC 4475/5118 torture messages and the
// PROTOS c07-sip suite. In-process only: the messages name outside addresses,
// and whatever the UA would send is captured, never sent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { receiveBytes } from '../../src/sip/inbound.ts';
import type { Endpoint } from '../../src/sip/transport-port.ts';
import { manifest, peerBytes, protosCases, protosPdu } from '../support/torture.ts';
import { quietLog } from './sip-harness.ts';
import { ManualTimers } from '../../src/sip/clock.ts';
import type { SipMessage } from '../../src/sip/message.ts';
import { UserAgent } from '../../src/sip/user-agent.ts';

const SRC: Endpoint = { protocol: 'UDP', address: '127.0.0.9', port: 5099 };

interface Answer {
  status: number;
  toTagged: boolean;
  dest: Endpoint;
  raw: boolean;
}

// A stateless answer copies the request's headers as received (RFC 3261
// §8.2.6.2), which may themselves be unparsable: read it leniently.
function rawAnswer(b: Buffer): { status: number; toTagged: boolean } {
  const text = b.toString('utf8');
  const status = Number(/^SIP\/2\.0 (\d{3}) /.exec(text)?.[1]);
  assert.ok(text.endsWith('\r\nContent-Length: 0\r\n\r\n'));
  const to = /\r\nTo: (.*)\r\n/.exec(text)?.[1];
  return { status, toTagged: to === undefined || /;\s*tag\s*=/i.test(to) };
}

/** A UA fed through receiveBytes, with every answer (raw or from the core) as a parsed response. */
function station() {
  // Not the shared harness: it re-parses what is sent, and an answer that
  // copies a huge From may not fit our own 16 KiB header limit on the way back.
  const timers = new ManualTimers();
  const sent: Array<{ msg: SipMessage; dest: Endpoint }> = [];
  const ua = new UserAgent(
    { user: 'door', domain: '127.0.0.2', protocol: 'UDP', outboundProxy: { protocol: 'UDP', address: '127.0.0.1', port: 5060 } },
    { local: () => ({ address: '127.0.0.2', port: 5070 }), send: (msg, dest) => void sent.push({ msg, dest }) },
    timers,
    quietLog,
  );
  const out: Answer[] = [];
  const sink = {
    log: quietLog,
    deliver: (m: Parameters<typeof ua.receive>[0], s: Endpoint) => ua.receive(m, s),
    sendRaw: (b: Buffer, dest: Endpoint) => out.push({ ...rawAnswer(b), dest, raw: true }),
  };
  const feed = (b: Buffer, src: Endpoint = SRC) => {
    const before = sent.length;
    receiveBytes(b, src, sink);
    for (const s of sent.slice(before)) {
      if (s.msg.kind === 'response') out.push({ status: s.msg.status, toTagged: s.msg.headers.to.params.tag !== undefined, dest: s.dest, raw: false });
    }
  };
  return { ua, timers, out, feed };
}

// What the door answers each torture message with (0 = nothing, dropped).
// RFC 4475 §3.1.2 asks 400 for malformed requests (505 for the version) and a
// silent drop for malformed responses; §3.3 messages are answered by the core.
const EXPECTED: Record<string, number> = {
  'rfc4475/wsinv.dat': 481, // in-dialog (To tag), no such dialog
  'rfc4475/intmeth.dat': 501,
  'rfc4475/esc01.dat': 486, // INVITE: the door takes no calls by default
  'rfc4475/escnull.dat': 405, // REGISTER: the door is no registrar
  'rfc4475/esc02.dat': 501,
  'rfc4475/lwsdisp.dat': 200,
  'rfc4475/longreq.dat': 486,
  'rfc4475/dblreq.dat': 405, // one REGISTER, the trailing INVITE ignored (§3.1.1.12)
  'rfc4475/semiuri.dat': 200,
  'rfc4475/transports.dat': 200,
  'rfc4475/mpart01.dat': 405,
  'rfc4475/unreason.dat': 0,
  'rfc4475/noreason.dat': 0,
  'rfc4475/badinv01.dat': 400,
  'rfc4475/clerr.dat': 400,
  'rfc4475/ncl.dat': 400,
  'rfc4475/scalar02.dat': 400,
  'rfc4475/scalarlg.dat': 0,
  'rfc4475/quotbal.dat': 400,
  'rfc4475/ltgtruri.dat': 400,
  'rfc4475/lwsruri.dat': 400,
  'rfc4475/lwsstart.dat': 400,
  'rfc4475/trws.dat': 400,
  'rfc4475/escruri.dat': 400,
  'rfc4475/baddate.dat': 486, // the Date does not matter here (§3.1.2.12)
  'rfc4475/regbadct.dat': 400,
  'rfc4475/badaspec.dat': 200,
  'rfc4475/baddn.dat': 400,
  'rfc4475/badvers.dat': 505,
  'rfc4475/mismatch01.dat': 400,
  'rfc4475/mismatch02.dat': 400, // §3.1.2.18 accepts 400 as well as 501
  'rfc4475/bigcode.dat': 0,
  'rfc4475/badbranch.dat': 200,
  'rfc4475/insuf.dat': 400,
  'rfc4475/unkscm.dat': 416,
  'rfc4475/novelsc.dat': 416,
  'rfc4475/unksm2.dat': 405,
  'rfc4475/bext01.dat': 420,
  'rfc4475/invut.dat': 486,
  'rfc4475/regaut01.dat': 405,
  'rfc4475/multi01.dat': 400,
  'rfc4475/mcl01.dat': 400,
  'rfc4475/bcast.dat': 0,
  'rfc4475/zeromf.dat': 200, // a UAS processes Max-Forwards 0 normally
  'rfc4475/cparam01.dat': 405,
  'rfc4475/cparam02.dat': 405,
  'rfc4475/regescrt.dat': 405,
  'rfc4475/sdp01.dat': 486,
  'rfc4475/inv2543.dat': 486,
  'rfc4475/test.dat': 0, // no SIP version: not a request we can answer
  'rfc5118/ipv6-good.dat': 405,
  'rfc5118/ipv6-bad.dat': 400,
  'rfc5118/port-ambiguous.dat': 405,
  'rfc5118/port-unambiguous.dat': 405,
  'rfc5118/via-received-param-with-delim.dat': 481,
  'rfc5118/via-received-param-no-delim.dat': 200,
  'rfc5118/ipv6-in-sdp.dat': 400, // the RFC's Content-Length exceeds its body: 400 on UDP (§18.3)
  'rfc5118/mult-ip-in-header.dat': 481,
  'rfc5118/mult-ip-in-sdp.dat': 486,
  'rfc5118/ipv4-mapped-ipv6.dat': 486,
  'rfc5118/ipv6-bug-abnf-3-colons.dat': 200,
  'rfc5118/ipv6-correct-abnf-2-colons.dat': 200,
};

describe('torture messages through the UA receive path', () => {
  const all = ['rfc4475', 'rfc5118'].flatMap((dir) => manifest(dir).map((r) => `${dir}/${r.file}`));

  it('covers every file of both archives', () => {
    assert.deepEqual([...all].sort(), Object.keys(EXPECTED).sort());
  });

  for (const name of all) {
    it(`${name}: answered ${EXPECTED[name] || 'with nothing'}, only to its source, no transaction left`, () => {
      const [dir, file] = name.split('/') as [string, string];
      const s = station();
      s.feed(peerBytes(dir, file));
      const want = EXPECTED[name]!;
      assert.deepEqual(
        s.out.map((o) => o.status),
        want ? [want] : [],
      );
      for (const o of s.out) {
        // Never toward an address written inside the message (192.0.2.x, example.com).
        assert.equal(o.dest.address, SRC.address);
        assert.ok(o.toTagged, 'a final response carries a To tag');
      }
      // A retransmission of the same bytes gets the same answer and no new state.
      s.feed(peerBytes(dir, file));
      assert.equal(s.out.length, want ? 2 : 0);
      assert.equal(s.out[1]?.status, want || undefined);
      // RFC 3261 §17: every transaction ends on its own (Timer J/H/I, 64*T1).
      s.timers.advance(64_000);
      assert.equal(s.ua.transactionCount, 0, 'stuck transaction');
      assert.equal(s.timers.size, 0, 'timer left running');
    });
  }
});

describe('PROTOS c07-sip through the UA receive path', () => {
  it('every case: INVITE then CANCEL, nothing escapes, every answer goes to the source; case 0 still answered after each', () => {
    const cases = protosCases();
    assert.equal(cases.length, 4527);
    const s = station();
    const fill = (id: string) => ({ to: 'door@127.0.0.2', from: 'protos@127.0.0.9', fromAddress: '127.0.0.9', localPort: 5099, id });
    let answered400 = 0;
    for (let i = 0; i < cases.length; i++) {
      s.feed(protosPdu(cases[i]!, 0, fill(`p${i}`)));
      s.feed(protosPdu(cases[i]!, 1, fill(`p${i}`)));
      // The valid reference INVITE after every case: the core must still answer it.
      if (i % 50 === 0 || i === cases.length - 1) {
        const before = s.out.length;
        s.feed(protosPdu(cases[0]!, 0, fill(`ref${i}`)));
        assert.equal(s.out.at(-1)?.status, 486, `case ${i}: the valid INVITE got no answer`);
        assert.equal(s.out.length, before + 1);
      }
    }
    for (const o of s.out) {
      assert.equal(o.dest.address, '127.0.0.9');
      if (o.raw && o.status === 400) answered400++;
    }
    assert.ok(answered400 > 1000, `only ${answered400} malformed INVITEs answered 400`);
    s.timers.advance(64_000);
    assert.equal(s.ua.transactionCount, 0, 'stuck transaction');
    assert.equal(s.timers.size, 0);
  });
});
