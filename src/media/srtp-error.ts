/** A packet refused by SRTP or SRTCP unprotect; the message says why (for counters, not per-packet logs). */
export class SrtpError extends Error {}
