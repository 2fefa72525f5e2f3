// Card readers and keypads: bytes from each serial device become card IDs or
// PINs, checked against the hashed allow-lists in `access:`. An allowed one
// opens the door; a refused one is logged with its hash, so the installer can
// enrol a card by copying that hash into the config.
import type { AccessConfig, SerialReaderConfig } from '../config/serial-schema.ts';
import type { Logger } from '../log/logger.ts';
import { CardFrameParser } from './card-frames.ts';
import { credentialAllowed, hashCredential } from './credentials.ts';
import { KeypadEntry } from './keypad-entry.ts';
import { keepSerialOpen, type SerialLink } from './serial-port.ts';

/** One reader as status reports it. */
export interface ReaderState {
  name: string;
  kind: 'card' | 'keypad';
  device: string;
  connected: boolean;
}

/** The open readers. */
export interface Readers {
  snapshot(): ReaderState[];
  close(): Promise<void>;
}

/** Opens every configured reader; `open(by)` is called for each accepted card or PIN. */
export function openReaders(readers: SerialReaderConfig[], access: AccessConfig, log: Logger, open: (by: string) => void, now: () => number = Date.now): Readers {
  const links: Array<{ cfg: SerialReaderConfig; link: SerialLink }> = readers.map((cfg) => {
    if (cfg.kind === 'card') {
      const parser = new CardFrameParser();
      return {
        cfg,
        link: keepSerialOpen(cfg, log, (chunk) => {
          const r = parser.push(chunk, now());
          for (const bad of r.bad) log.warn('card.garbled', { reader: cfg.name, length: bad.length });
          for (const id of r.ids) {
            if (credentialAllowed('card', id, access.cards)) {
              log.info('card.accepted', { reader: cfg.name, card_hash: hashCredential('card', id).slice(0, 19) });
              open(`card:${cfg.name}`);
            } else {
              // The hash, not the ID: the log is readable by more people than the config.
              log.warn('card.refused', { reader: cfg.name, card_hash: hashCredential('card', id) });
            }
          }
        }),
      };
    }
    const keypad = new KeypadEntry();
    return {
      cfg,
      link: keepSerialOpen(cfg, log, (chunk) => {
        for (const ch of chunk.toString('latin1')) {
          const r = keypad.key(ch, now());
          if (r?.type === 'locked') {
            log.warn('keypad.locked', { reader: cfg.name, untilS: Math.ceil((r.untilMs - now()) / 1000) });
            continue;
          }
          if (r?.type !== 'pin') continue;
          const ok = credentialAllowed('pin', r.pin, access.pins);
          keypad.verdict(ok, now());
          if (ok) {
            log.info('keypad.accepted', { reader: cfg.name });
            open(`keypad:${cfg.name}`);
          } else {
            log.warn('keypad.refused', { reader: cfg.name, digits: r.pin.length });
          }
        }
      }),
    };
  });
  return {
    snapshot: () => links.map(({ cfg, link }) => ({ name: cfg.name, kind: cfg.kind, device: cfg.device, connected: link.connected() })),
    close: async () => {
      await Promise.all(links.map(({ link }) => link.close()));
    },
  };
}
