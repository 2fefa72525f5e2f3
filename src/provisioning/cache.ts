// The last good document on disk, so a door that reboots without network
// starts with the config it had. Written whole (temporary file, then rename)
// and readable only by the service: it holds the door codes.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileProblem } from '../config/file-problem.ts';
import { verifyDocument, type Trust, type Verdict } from './verify.ts';

/** One verified document and what is needed to check and fetch it again. */
export interface CachedDocument {
  url: string;
  etag?: string;
  fetched_at: string;
  /** The document's exact text (it is verified again when read). */
  document: string;
  /** Base64 of the detached signature, when one was checked. */
  signature?: string;
}

export type CacheRead = { ok: true; doc: CachedDocument } | { ok: false; reason: string };

function isCached(v: unknown): v is CachedDocument {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['url'] === 'string' && typeof o['fetched_at'] === 'string' && typeof o['document'] === 'string' &&
    (o['etag'] === undefined || typeof o['etag'] === 'string') && (o['signature'] === undefined || typeof o['signature'] === 'string');
}

export function readCache(path: string): CacheRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, reason: `no cached config (${path}: ${fileProblem(err)})` };
  }
  try {
    const doc: unknown = JSON.parse(text);
    if (isCached(doc)) return { ok: true, doc };
  } catch {
    // reported below
  }
  return { ok: false, reason: `${path}: not a provisioning cache file` };
}

/** Replaces the cache; throws a one-line Error when it cannot. */
export function writeCache(path: string, doc: CachedDocument): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(doc)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    throw new Error(`cannot write ${path}: ${fileProblem(err)}`);
  }
}

/** Checks a cached document as if it had just been fetched: the file is not trusted more than the network. */
export function verifyCached(doc: CachedDocument, trust: Trust): Verdict {
  const signature = doc.signature === undefined ? undefined : Buffer.from(doc.signature, 'base64');
  return verifyDocument(Buffer.from(doc.document, 'utf8'), signature, trust);
}
