// SIP messages as typed data, and the bytes <-> message codec.
//
// This is the module the rest of the firmware imports. The codec replaces the
// `sip` package, whose parser and serializer had defects; each part lives in
// its own file and says there what it replaced and why:
//  - message-types.ts: the message shapes and SipParseError;
//  - message-text.ts: tokens, header names, folding, header-section bounds;
//  - message-parser.ts: framing, the start line and the header lines;
//  - header-scanner.ts: the structured header values;
//  - message-serializer.ts: message -> bytes;
//  - sip-uri.ts: SIP/SIPS URIs;
//  - unparsable-salvage.ts: what a 400/505 to an unparsable request needs.
export type { AuthHeader, CSeq, NameAddr, Params, ParseOptions, SipHeaders, SipMessage, SipRequest, SipResponse, Via } from './message-types.ts';
export { otherHeader, SipParseError } from './message-types.ts';
export { findHeaderEnd } from './message-text.ts';
export { unquote } from './header-scanner.ts';
export { parseMessage } from './message-parser.ts';
export { formatAuth, formatNameAddr, formatVia, serializeMessage } from './message-serializer.ts';
export type { SipUri } from './sip-uri.ts';
export { formatSipUri, parseSipUri } from './sip-uri.ts';
export type { ReplyHeaders } from './unparsable-salvage.ts';
export { formatReplyToUnparsable, salvageReplyHeaders } from './unparsable-salvage.ts';
