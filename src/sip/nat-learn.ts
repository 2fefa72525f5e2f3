// What a registrar tells us about our address as it sees it (RFC 3261
// §18.2.1 `received`, RFC 3581 §4 `rport`, echoed in the Via of its
// response): behind a NAT that is the public address and port where requests
// for the door must be sent, so it belongs in our Contact.
import type { SipResponse } from './message.ts';

/** Our address as the server saw it, when it differs from what we advertise; undefined otherwise. */
export function learnedAddress(res: SipResponse, advertised: { address: string; port: number }): { address: string; port: number } | undefined {
  const via = res.headers.via[0];
  if (!via) return undefined;
  const received = via.params.received;
  const rport = Number(via.params.rport);
  const address = typeof received === 'string' && received !== '' ? received.replace(/^\[|\]$/g, '') : advertised.address;
  const port = Number.isInteger(rport) && rport > 0 && rport < 65536 ? rport : advertised.port;
  if (address === advertised.address && port === advertised.port) return undefined;
  return { address, port };
}
