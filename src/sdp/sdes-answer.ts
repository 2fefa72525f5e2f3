// Answering an offer that may carry SDES keys (RFC 4568): the codec
// negotiation is the plain one (offer-answer.ts) on the offer without its
// crypto lines; our answer then goes back on the offer's profile with one
// crypto line of ours under the tag we took (§7.1.2). Used for an incoming
// call's offer and for every later offer in an encrypted call (§7.1.4).
import { answerOffer, type AnswerPreferences, type Negotiated } from './offer-answer.ts';
import { newSdesKey, protectStream, type SdesKey } from './sdes.ts';
import { readSdes } from './sdes-read.ts';

export interface SdesAnswerOptions {
  /** Refuse an offer without a usable key: sip.srtp, or a call already encrypted (never back to the clear). */
  requireSrtp: boolean;
  /** Our key in the running call, kept while the suite stays the same so our stream's context goes on (§7.1.4). */
  ourKey?: SdesKey;
}

export interface SdesAnswer {
  sdp: string;
  negotiated: Negotiated;
  /** Both keys, when the answer turns SRTP on: ours (we send with it) and the offerer's. */
  srtp?: { ours: SdesKey; theirs: SdesKey };
}

/** Our answer to an offer, with SRTP when the offer asks for it; { error } when we must refuse it (488). */
export function answerOfferWithSdes(offer: string, prefs: AnswerPreferences, o: SdesAnswerOptions): SdesAnswer | { error: string } {
  const read = readSdes(offer);
  if ('error' in read) return read;
  if (o.requireSrtp && !read.crypto) return { error: 'the offer carries no SRTP key (a=crypto) we can use, and SRTP is required' };
  const r = answerOffer(read.plain, prefs);
  if ('error' in r || !read.crypto) return r;
  const theirs = read.crypto.key;
  const ours = o.ourKey?.suite === theirs.suite ? o.ourKey : newSdesKey(theirs.suite);
  return { sdp: protectStream(r.sdp, read.profile, read.crypto.tag, ours), negotiated: r.negotiated, srtp: { ours, theirs } };
}
