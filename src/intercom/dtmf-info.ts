// DTMF carried in SIP INFO requests, for phones and PBXs that send keys in
// signalling instead of RFC 4733 telephone-events: application/dtmf-relay
// ("Signal=5\r\nDuration=160", the de-facto format of Cisco and Asterisk) and
// application/dtmf (the bare key).

/** The key an INFO body carries, upper-cased, or undefined when it carries none. */
export function dtmfFromInfo(contentType: string | undefined, body: Buffer): string | undefined {
  if (!contentType) return undefined;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const text = body.toString('utf8');
  let key: string | undefined;
  if (type === 'application/dtmf-relay') key = /^\s*Signal\s*=\s*([0-9A-Da-d*#])\s*$/im.exec(text)?.[1];
  else if (type === 'application/dtmf') key = /^\s*([0-9A-Da-d*#])\s*$/.exec(text)?.[1];
  return key?.toUpperCase();
}
