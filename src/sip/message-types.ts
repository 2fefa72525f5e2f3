// SIP messages as typed data: what the codec produces and consumes, and the
// error it throws for bytes that are not a usable message.

/** Header or URI parameters: lower-case name -> value, null for a name without "=". */
export type Params = Record<string, string | null>;

/** A header of the name-addr form (From, To, Contact, Route, Record-Route). */
export interface NameAddr {
  /** Display name as written (quotes kept), if any. */
  name?: string;
  uri: string;
  params: Params;
}

/** One Via value (RFC 3261 §20.42). */
export interface Via {
  version: string;
  /** Transport in upper case: UDP, TCP, TLS. */
  protocol: string;
  host: string;
  port?: number;
  params: Params;
}

/** The CSeq header: sequence number and method. */
export interface CSeq {
  seq: number;
  method: string;
}

/** A WWW-/Proxy-Authenticate challenge or an Authorization header, values unquoted. */
export interface AuthHeader {
  scheme: string;
  params: Record<string, string>;
}

/** Headers we interpret, parsed; every other header is kept as raw values in `other`. */
export interface SipHeaders {
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  contact?: NameAddr[] | '*';
  route?: NameAddr[];
  recordRoute?: NameAddr[];
  maxForwards?: number;
  expires?: number;
  wwwAuthenticate?: AuthHeader[];
  proxyAuthenticate?: AuthHeader[];
  authorization?: AuthHeader[];
  proxyAuthorization?: AuthHeader[];
  contentType?: string;
  /** Lower-case header name -> values in order of appearance. */
  other: Record<string, string[]>;
}

/** A parsed or to-be-sent SIP request. */
export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

/** A parsed or to-be-sent SIP response. */
export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

/** Either kind of SIP message. */
export type SipMessage = SipRequest | SipResponse;

/**
 * Thrown for bytes that are not a usable SIP message. The message is one line;
 * `header` names the culprit (lower-case header name, or 'request-line',
 * 'status-line', 'request-uri', 'version') when known; `status` is the answer a
 * UAS should give if the bytes were a request (400, or 505 for the version).
 */
export class SipParseError extends Error {
  readonly status: number;
  constructor(
    message: string,
    readonly header?: string,
    status = 400,
  ) {
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'SipParseError';
    this.status = status;
  }
}

/** Options for parseMessage. */
export interface ParseOptions {
  /**
   * Accept a body shorter than Content-Length and keep the bytes that are there.
   * Off by default: on a datagram transport a short body is an error (RFC 3261
   * §18.3, a request gets 400). Meant for stored messages that lost bytes in
   * transcription, never for the network.
   */
  allowShortBody?: boolean;
}

/** First value of an unparsed header, or undefined. */
export function otherHeader(m: SipMessage, name: string): string | undefined {
  return m.headers.other[name.toLowerCase()]?.[0];
}
