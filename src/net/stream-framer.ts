// Framing SIP messages on a byte stream (RFC 3261 §18.3): the header section
// ends at the first empty line and Content-Length (mandatory on streams) gives
// the body. CRLF keep-alives between messages (RFC 5626 §4.4.1) are reported
// separately so the owner can answer a double-CRLF ping with a CRLF pong, and
// learn from a lone CRLF (a pong) that the other end is still there.

export type FramerEvent =
  | { kind: 'message'; bytes: Buffer }
  | { kind: 'ping' }
  /** A lone CRLF; `afterLone` when the previous chunk ended in one too: a pong, or the second half of a ping TCP split in two. */
  | { kind: 'pong'; afterLone: boolean }
  | { kind: 'error'; reason: string };

const MAX_BUFFERED = 64 * 1024;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** The last chunk ended in a lone CRLF: a pong, or the first half of a ping split by TCP. */
  private loneCrlfAtEnd = false;

  /** Feeds bytes; returns the complete messages and keep-alives found so far. */
  push(chunk: Buffer): FramerEvent[] {
    const continuesLone = this.loneCrlfAtEnd && this.buf.length === 0;
    this.loneCrlfAtEnd = false;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: FramerEvent[] = [];
    let first = true;
    for (;;) {
      // Leading CRLFs: a double CRLF is a ping, a single one a pong.
      let skip = 0;
      while (skip + 1 < this.buf.length && this.buf[skip] === 0x0d && this.buf[skip + 1] === 0x0a) skip += 2;
      if (skip >= 4) out.push({ kind: 'ping' });
      else if (skip === 2) out.push({ kind: 'pong', afterLone: first && continuesLone });
      if (skip === 2 && this.buf.length === 2) this.loneCrlfAtEnd = true;
      first = false;
      if (skip) this.buf = this.buf.subarray(skip);
      if (this.buf.length === 0) break;
      const end = this.buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (end < 0) {
        if (this.buf.length > MAX_BUFFERED) return this.fail(out, 'header section larger than 64 KiB');
        break;
      }
      const head = this.buf.subarray(0, end).toString('latin1');
      const m = /(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(head);
      const length = m ? Number(m[1]) : 0;
      if (length > MAX_BUFFERED) return this.fail(out, `Content-Length ${length} too large`);
      const total = end + 4 + length;
      if (this.buf.length < total) break;
      out.push({ kind: 'message', bytes: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  private fail(out: FramerEvent[], reason: string): FramerEvent[] {
    this.buf = Buffer.alloc(0);
    out.push({ kind: 'error', reason });
    return out;
  }
}
