// Card IDs out of a serial byte stream. Two framings cover the common cheap
// readers: EM4100 125 kHz modules (RDM6300 style) send STX, ten hex digits of
// ID, two of checksum (XOR of the five ID bytes), ETX; Wiegand-to-serial and
// most USB readers send the ID as text ending in CR and/or LF. Readers repeat
// a card for as long as it is held, so the same ID within `repeatMs` is one read.

const STX = 0x02;
const ETX = 0x03;
const MAX_FRAME = 64;

/** Options of a CardFrameParser. */
export interface CardParserOptions {
  /** The same ID again within this time is the same presentation (default 2000 ms). */
  repeatMs?: number;
}

/** What a chunk of bytes contained: IDs read, and frames that were garbled. */
export interface CardParse {
  ids: string[];
  bad: string[];
}

/** Splits a reader's byte stream into card IDs. */
export class CardFrameParser {
  private buf: number[] = [];
  private inStx = false;
  private last: { id: string; at: number } | undefined;
  private readonly repeatMs: number;

  constructor(opts: CardParserOptions = {}) {
    this.repeatMs = opts.repeatMs ?? 2000;
  }

  /** Feeds bytes received at time `now` (ms). */
  push(bytes: Uint8Array, now: number): CardParse {
    const out: CardParse = { ids: [], bad: [] };
    for (const b of bytes) {
      if (b === STX) {
        this.buf = [];
        this.inStx = true;
      } else if (this.inStx && b === ETX) {
        this.inStx = false;
        this.frame(em4100(String.fromCharCode(...this.buf)), String.fromCharCode(...this.buf), now, out);
        this.buf = [];
      } else if (!this.inStx && (b === 0x0d || b === 0x0a)) {
        const text = String.fromCharCode(...this.buf).trim();
        this.buf = [];
        if (text) this.frame(/^[0-9A-Za-z:-]{1,32}$/.test(text) ? text.replace(/[:-]/g, '').toUpperCase() : undefined, text, now, out);
      } else if (this.buf.length < MAX_FRAME) {
        this.buf.push(b);
      } else {
        // Noise without any framing: drop it rather than grow.
        this.buf = [];
        this.inStx = false;
      }
    }
    return out;
  }

  private frame(id: string | undefined, raw: string, now: number, out: CardParse): void {
    if (id === undefined) {
      out.bad.push(raw.length > 16 ? `${raw.slice(0, 16)}...` : raw);
      return;
    }
    if (this.last && this.last.id === id && now - this.last.at < this.repeatMs) {
      this.last.at = now;
      return;
    }
    this.last = { id, at: now };
    out.ids.push(id);
  }
}

/** The ID of an EM4100 frame body (10 hex ID + 2 hex checksum), or undefined when garbled. */
export function em4100(body: string): string | undefined {
  if (!/^[0-9A-Fa-f]{12}$/.test(body)) return undefined;
  let x = 0;
  for (let i = 0; i < 10; i += 2) x ^= parseInt(body.slice(i, i + 2), 16);
  if (x !== parseInt(body.slice(10, 12), 16)) return undefined;
  return body.slice(0, 10).toUpperCase();
}
