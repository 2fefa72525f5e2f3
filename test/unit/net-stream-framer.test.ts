import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFramer } from '../../src/net/stream-framer.ts';

const msg = (body: string) =>
  `OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('SIP over a byte stream (RFC 3261 §18.3)', () => {
  it('splits messages by Content-Length, whatever the chunking', () => {
    const stream = Buffer.from(msg('hällo') + msg('') + msg('x'));
    for (const size of [1, 3, 7, 64, stream.length]) {
      const f = new StreamFramer();
      const out: string[] = [];
      for (let i = 0; i < stream.length; i += size) {
        for (const ev of f.push(stream.subarray(i, i + size))) if (ev.kind === 'message') out.push(ev.bytes.toString());
      }
      assert.deepEqual(out, [msg('hällo'), msg(''), msg('x')], `chunk size ${size}`);
    }
  });

  it('reports a double-CRLF keep-alive as a ping and a single CRLF as its pong (RFC 5626 §4.4.1)', () => {
    const f = new StreamFramer();
    const ev = f.push(Buffer.from('\r\n\r\n' + msg('') + '\r\n'));
    assert.deepEqual(
      ev.map((e) => e.kind),
      ['ping', 'message', 'pong'],
    );
  });

  it('marks a lone CRLF that follows one at the end of the previous chunk (a ping TCP split in two, or a second pong)', () => {
    const f = new StreamFramer();
    assert.deepEqual(f.push(Buffer.from('\r\n')), [{ kind: 'pong', afterLone: false }]);
    assert.deepEqual(f.push(Buffer.from('\r\n')), [{ kind: 'pong', afterLone: true }]);
    assert.deepEqual(f.push(Buffer.from(msg(''))).map((e) => e.kind), ['message']);
    assert.deepEqual(f.push(Buffer.from('\r\n')), [{ kind: 'pong', afterLone: false }]);
  });

  it('refuses an endless header section or a huge body instead of buffering forever', () => {
    const f = new StreamFramer();
    const ev = f.push(Buffer.alloc(70_000, 'a'));
    assert.equal(ev[0]?.kind, 'error');
    const g = new StreamFramer();
    assert.equal(g.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: 999999999\r\n\r\n'))[0]?.kind, 'error');
  });
});
