// Serial peripherals and who they let in: `readers:` lists card readers and
// keypads on a UART or USB serial adapter; `access:` holds the cards and
// keypad PINs that open the door, stored only as hashes (`intercom hash`
// prints the hash of a card ID or PIN), so the config file never holds a
// working credential in plain text.
import { z } from 'zod';

/** What a serial reader sends: card IDs or key presses. */
export type ReaderKind = 'card' | 'keypad';

/** One entry of `readers:`. */
export interface SerialReaderConfig {
  /** Used in logs and status. */
  name: string;
  /** Serial device, e.g. /dev/serial0 or /dev/ttyUSB0 (a by-id path survives re-plugging). */
  device: string;
  baud: number;
  /** card: card IDs (EM4100 STX/ETX frames or one ID per line); keypad: one character per key. */
  kind: ReaderKind;
}

/** The `access:` section, parsed. */
export interface AccessConfig {
  /** Hashes ("sha256:<hex>") of the card IDs that open the door. */
  cards: string[];
  /** Hashes of the keypad PINs that open the door. */
  pins: string[];
}

const HASH = /^sha256:[0-9a-f]{64}$/;

const hashList = (what: string) =>
  z
    .array(z.string().regex(HASH, { error: `must be a hash as printed by \`intercom hash ${what}\` (sha256:...)` }))
    .default([]);

/** The `readers:` list. */
export const readersSection = () =>
  z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be 1-64 letters, digits, ".", "-" or "_"' }),
        device: z.string().min(1, { error: 'must not be empty' }),
        baud: z.number().int().refine((b) => [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].includes(b), {
          error: 'must be a standard rate (1200 ... 115200)',
        }).default(9600),
        kind: z.enum(['card', 'keypad']),
      }),
    )
    .default([]);

/** The `access:` section. */
export const accessSection = () =>
  z.strictObject({
    cards: hashList('--card ID'),
    pins: hashList('--pin PIN'),
  });
