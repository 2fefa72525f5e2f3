// Is a fetched document the one its owner published? A detached Ed25519
// signature over the exact bytes (RFC 8032; Node's crypto verifies it), a
// pinned SHA-256 of those bytes, or both. Pure: bytes and settings in, a verdict out.
import { createHash, createPublicKey, verify } from 'node:crypto';

export type Verdict = { ok: true; sha256: string } | { ok: false; reason: string };

/** What the check needs from `provisioning:`. */
export interface Trust {
  /** SPKI PEM of the Ed25519 key. */
  public_key?: string;
  sha256?: string;
}

const SIGNATURE_BYTES = 64;

/** The 64 signature bytes from a `.sig` file: raw, or base64 text (as `openssl ... | base64` writes it). */
export function decodeSignature(file: Buffer): Buffer | undefined {
  if (file.length === SIGNATURE_BYTES) return file;
  const text = file.toString('latin1').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(text)) return undefined;
  const raw = Buffer.from(text, 'base64');
  return raw.length === SIGNATURE_BYTES ? raw : undefined;
}

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Checks `body` against the pinned hash and/or the detached `signature` (the .sig file's bytes). */
export function verifyDocument(body: Buffer, signature: Buffer | undefined, trust: Trust): Verdict {
  const sha256 = sha256Hex(body);
  if (trust.sha256 !== undefined && sha256 !== trust.sha256) {
    return { ok: false, reason: `the document's SHA-256 is ${sha256}, not provisioning.sha256` };
  }
  if (trust.public_key !== undefined) {
    if (signature === undefined) return { ok: false, reason: 'no signature for the document (provisioning.public_key is set)' };
    const sig = decodeSignature(signature);
    if (!sig) return { ok: false, reason: 'the signature is neither 64 bytes nor their base64' };
    if (!verify(null, body, createPublicKey(trust.public_key), sig)) {
      return { ok: false, reason: 'bad signature: the document is not signed by provisioning.public_key' };
    }
  }
  return { ok: true, sha256 };
}
