// The gate for INVITEs outside a dialog: the policy (incoming-policy.ts)
// decides, refusals are answered at once and logged sparingly, and only an
// allowed call reaches the station. Nothing rings and no media is opened for
// a refused call.
import type { AudioFormat } from '../audio/device.ts';
import { resampleAll } from '../audio/resampler.ts';
import { readWavFile } from '../audio/wav.ts';
import type { Config } from '../config/schema.ts';
import type { EventLog } from '../log/logger.ts';
import type { SipRequest } from '../sip/message.ts';
import type { ServerTransaction } from '../sip/transaction.ts';
import type { IncomingInviteHandler, UserAgent } from '../sip/user-agent.ts';
import { judgeIncoming, RefusalLog, type RefusalReason } from './incoming-policy.ts';

export interface IncomingGateOptions {
  config: Config;
  ua: UserAgent;
  log: EventLog;
  /** The registrar's current address; undefined while it is not resolved (then nothing is accepted). */
  registrar(): string | undefined;
  /** Whether incoming calls are taken now, when it can change at run time; default incoming.enabled. */
  enabled?(): boolean;
  /** An allowed call: the station answers it (or the door refuses it busy). */
  onAllowed(req: SipRequest, tx: ServerTransaction, caller: string): void;
  /** A refused call, for the event log. */
  onRefused?(from: string, source: string, reason: RefusalReason): void;
}

/** Builds the UA's handler for INVITEs outside a dialog. */
export function incomingGate(opts: IncomingGateOptions): IncomingInviteHandler {
  const refusals = new RefusalLog();
  return (req, tx, source) => {
    const verdict = judgeIncoming(
      { enabled: opts.enabled?.() ?? opts.config.incoming.enabled, allow: opts.config.incoming.allow, domain: opts.config.sip.domain, registrar: opts.registrar() ?? '' },
      req.headers.from.uri,
      source.address,
    );
    if (verdict.accept) {
      opts.onAllowed(req, tx, verdict.caller);
      return;
    }
    tx.respond(opts.ua.makeResponse(req, verdict.status, verdict.phrase));
    // A stranger gets exactly one answer and leaves no state behind: no Timer G
    // retransmissions (a spoofed source would turn them into a reflection
    // attack) and no transaction held for 32 s per packet. A repeated INVITE
    // just gets another single 403. The registrar keeps the reliable handshake.
    if (verdict.reason === 'not-from-registrar') tx.terminate();
    opts.onRefused?.(req.headers.from.uri, source.address, verdict.reason);
    // The caller's claimed identity is only worth logging when the registrar vouches for it.
    const line = refusals.note(source.address, verdict.reason, Date.now());
    if (line?.event === 'incoming.refused') {
      opts.log.info(line.event, { ...line.fields, ...(verdict.reason === 'not-from-registrar' ? {} : { caller: req.headers.from.uri }) });
    } else if (line) {
      opts.log.info(line.event, line.fields);
    }
  };
}

/** Loads incoming.announcement at the device rate; rejects with one line naming the key. */
export async function loadAnnouncement(path: string | undefined, fmt: AudioFormat): Promise<Int16Array | undefined> {
  if (path === undefined) return undefined;
  try {
    const wav = await readWavFile(path, 16 * 1024 * 1024);
    return resampleAll(wav.samples, wav.sampleRate, fmt.sampleRate);
  } catch (err) {
    throw new Error(`incoming.announcement: ${path}: ${(err as Error).message}`);
  }
}
