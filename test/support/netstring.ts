// Netstring framing ("LEN:PAYLOAD,") as spoken by baresip's ctrl_tcp module.

/** Encodes one netstring. */
export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

/** Incremental decoder: push bytes as they arrive, get complete payloads back. */
export class NetstringDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends bytes and returns every payload completed by them. */
  push(chunk: Buffer): string[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) break;
      const lenText = this.buffer.toString('ascii', 0, colon);
      if (!/^\d+$/.test(lenText)) throw new Error(`bad netstring length ${JSON.stringify(lenText.slice(0, 20))}`);
      const len = Number(lenText);
      const end = colon + 1 + len;
      if (this.buffer.length < end + 1) break;
      if (this.buffer[end] !== 0x2c) throw new Error('netstring not terminated by a comma');
      out.push(this.buffer.toString('utf8', colon + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
    }
    return out;
  }
}
