// The `provisioning:` section: where the door fetches its config from, how it
// checks that the document really comes from its owner, and how often it looks
// for a new one. It only ever lives in the local file (see provisioning/merge.ts).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { SecretReader } from './schema.ts';

/** Credentials sent with every provisioning request; the secret comes from a file. */
export type ProvisioningAuth =
  | { kind: 'bearer'; token: string; file: string }
  | { kind: 'basic'; user: string; password: string; file: string };

/** The parsed `provisioning:` section. */
export interface ProvisioningConfig {
  /** https:// URL of the config document; {mac} and {hostname} are filled in per device. */
  url: string;
  /** PEM file of the CA (or the server's own certificate) to trust instead of the system's CAs. */
  tls_ca?: string;
  /** Seconds between checks for a new document. */
  interval: number;
  /** Seconds one request may take, connection included. */
  timeout: number;
  /** Ed25519 public key (SPKI PEM) the detached signature must verify against. */
  public_key?: string;
  /** Where the detached signature is; default the document's URL with ".sig" appended. */
  signature_url?: string;
  /** Lower-case hex SHA-256 the document must have (pins one exact document). */
  sha256?: string;
  auth?: ProvisioningAuth;
  /** Network interface whose MAC address fills in {mac}; default the first with one. */
  interface?: string;
  /** Where the last good document is kept for a start without network (written 0600). */
  cache: string;
}

export const DEFAULT_PROVISIONING_CACHE = '/var/lib/intercom/provisioned.json';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); the 32 key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 public key from PEM, the base64 inside the PEM, or the base64 of its 32 raw bytes; undefined otherwise. */
export function parseEd25519Key(text: string): KeyObject | undefined {
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: spkiDer(trimmed), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

function spkiDer(base64: string): Buffer {
  if (!/^[A-Za-z0-9+/]+=*$/.test(base64)) throw new Error('not base64');
  const raw = Buffer.from(base64, 'base64');
  if (raw.length === 32) return Buffer.concat([ED25519_SPKI_PREFIX, raw]);
  if (raw.length === 44 && raw.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) return raw;
  throw new Error('not an Ed25519 key');
}

function httpsUrl(s: string): boolean {
  try {
    const u = new URL(s.replace(/\{(mac|hostname)\}/g, 'x'));
    return u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

const URL_ERROR = 'must be an https:// URL with a host and no user:password@ (credentials go in provisioning.auth)';

const absolutePem = () =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((f) => f.startsWith('/'), { error: 'must be an absolute path to a PEM file' });

function secretFile(readSecret: SecretReader, key: string) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .transform((file, ctx) => {
      const read = readSecret(file, key);
      if (!read.ok) {
        ctx.addIssue({ code: 'custom', message: read.error, input: file });
        return z.NEVER;
      }
      return read;
    });
}

function authSection(readSecret: SecretReader) {
  return z.union(
    [
      z
        .strictObject({ bearer_file: secretFile(readSecret, 'provisioning.auth.bearer_file') })
        .transform((a): ProvisioningAuth => ({ kind: 'bearer', token: a.bearer_file.value, file: a.bearer_file.path })),
      z
        .strictObject({
          user: z.string().regex(/^[^:\u0000-\u001f]+$/, { error: 'must be a user name without ":" or control characters' }),
          password_file: secretFile(readSecret, 'provisioning.auth.password_file'),
        })
        .transform((a): ProvisioningAuth => ({ kind: 'basic', user: a.user, password: a.password_file.value, file: a.password_file.path })),
    ],
    { error: 'must be {bearer_file: FILE} or {user: NAME, password_file: FILE}' },
  );
}

/** The `provisioning:` schema; `readSecret` reads the credentials file. */
export function provisioningSection(readSecret: SecretReader) {
  return z
    .strictObject({
      url: z.string().refine(httpsUrl, { error: URL_ERROR }),
      tls_ca: absolutePem().optional(),
      interval: z
        .number()
        .int({ error: 'must be a whole number of seconds from 1 to 604800' })
        .min(1, { error: 'must be a whole number of seconds from 1 to 604800' })
        .max(604800, { error: 'must be a whole number of seconds from 1 to 604800' })
        .default(3600),
      timeout: z.number().gt(0, { error: 'must be above 0 and at most 120 seconds' }).max(120, { error: 'must be above 0 and at most 120 seconds' }).default(10),
      public_key: z
        .string()
        .refine((k) => parseEd25519Key(k) !== undefined, { error: 'must be an Ed25519 public key: PEM, or base64 (of the key or of its 32 bytes)' })
        .transform((k) => (parseEd25519Key(k) as KeyObject).export({ format: 'pem', type: 'spki' }).toString())
        .optional(),
      signature_url: z.string().refine(httpsUrl, { error: URL_ERROR }).optional(),
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex digits (sha256sum of the document)' })
        .transform((h) => h.toLowerCase())
        .optional(),
      auth: authSection(readSecret).optional(),
      interface: z.string().regex(/^[^\s/]{1,15}$/, { error: 'must be a network interface name such as eth0' }).optional(),
      cache: z
        .string()
        .refine((f) => f.startsWith('/'), { error: 'must be an absolute path' })
        .default(DEFAULT_PROVISIONING_CACHE),
    })
    .superRefine((p: unknown, ctx) => {
      // An unchecked document could come from anyone who can answer for the URL's host.
      if (typeof p !== 'object' || p === null) return;
      if (!('public_key' in p) && !('sha256' in p)) {
        ctx.addIssue({ code: 'custom', message: 'needs public_key (a signed document) or sha256 (a pinned one), or both', input: p, path: ['public_key'] });
      }
      if ('signature_url' in p && !('public_key' in p)) {
        ctx.addIssue({ code: 'custom', message: 'is only used with provisioning.public_key', input: p, path: ['signature_url'] });
      }
    }, { when: () => true });
}
