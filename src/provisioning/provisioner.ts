// Provisioning at run time: fetch the door's config document, check it
// (signature and/or pinned hash, then validation exactly like a local file),
// keep the last good one (in memory and in the cache file), and say what
// happened in one log line and in `intercom status`. A failed fetch or a
// refused document never replaces a working config. The network is reached
// only through the injected Fetcher (https-fetch.ts).
import { readFileSync } from 'node:fs';
import { composeProvisioned, loadConfig, readYaml, validateLocal } from '../config/load.ts';
import type { ConfigResult } from '../config/load.ts';
import { fileProblem } from '../config/file-problem.ts';
import type { ProvisioningConfig } from '../config/provisioning-schema.ts';
import type { Logger } from '../log/logger.ts';
import { readCache, verifyCached, writeCache, type CachedDocument } from './cache.ts';
import { deviceIdentity, expandUrl, shownUrl, type DeviceIdentity } from './device-url.ts';
import type { Fetcher, FetchRequest } from './https-fetch.ts';
import { wantsProvisioning } from './merge.ts';
import { isChange, nextCheckDelayMs } from './schedule.ts';
import { verifyDocument } from './verify.ts';

/** What `intercom status` shows about provisioning. */
export interface ProvisioningStatus {
  /** The document's URL (without any query string). */
  url: string;
  /** When the server was last asked, ISO 8601. */
  last_fetch?: string;
  /** Outcome of the last attempt: a new document applied, the same one, or a failure (then `reason`). */
  result: 'never' | 'updated' | 'unchanged' | 'failed';
  reason?: string;
  /** SHA-256 of the document in force. */
  config_sha256?: string;
  /** Where the document in force came from. */
  source?: 'server' | 'cache';
  /** When the document in force was fetched, ISO 8601. */
  fetched_at?: string;
}

export type CheckOutcome = 'changed' | 'unchanged' | 'failed' | 'off';

export interface Provisioner {
  /**
   * The full config: a plain local file as it is, or a provisioned door's
   * local file with its document. Except for scheduled checks (`provisioning`,
   * which already fetched), it asks the server first; failing that it uses the
   * last good document.
   */
  load(trigger: string): Promise<ConfigResult & { transient?: true }>;
  /** A scheduled check: fetch, verify, validate; 'changed' when a new good document awaits a reload. */
  check(): Promise<CheckOutcome>;
  /** Milliseconds until the next scheduled check; undefined when the running config does not provision. */
  nextCheckMs(): number | undefined;
  status(): ProvisioningStatus | undefined;
  /**
   * Says whether the station started with the newest document. Only then is it
   * cached as the last good one; one that validated but did not start is put
   * back to the previous document and not tried again until the server has
   * another. True when a new document was put back.
   */
  settled(started: boolean, reason?: string): boolean;
}

export interface ProvisionerOptions {
  configPath: string;
  log: Logger;
  fetch: Fetcher;
  now?: () => Date;
  identity?: (iface?: string) => DeviceIdentity;
}

interface Good {
  doc: CachedDocument;
  sha256: string;
  source: 'server' | 'cache';
}

interface Local {
  data: Record<string, unknown>;
  settings: ProvisioningConfig;
  warnings: string[];
}

export function createProvisioner(opts: ProvisionerOptions): Provisioner {
  const now = opts.now ?? (() => new Date());
  const identity = opts.identity ?? deviceIdentity;
  const log = opts.log;
  let good: Good | undefined;
  /** The local file of the config in force, so a scheduled check merges with what runs, not with an unapplied edit. */
  let inForce: Local | undefined;
  let failures = 0;
  let state: ProvisioningStatus | undefined;
  /** A new document in force but not yet seen to start a station, and the one it replaced. */
  let pending: { good: Good; previous: Good | undefined; cache: string } | undefined;
  /** SHA-256 of a document that validated but did not start. */
  let rejected: string | undefined;

  const setState = (s: Omit<ProvisioningStatus, 'config_sha256' | 'source' | 'fetched_at'>): void => {
    state = {
      ...s,
      ...(good ? { config_sha256: good.sha256, source: good.source, fetched_at: good.doc.fetched_at } : {}),
    };
  };

  function readLocal(): { kind: 'plain' } | { kind: 'local'; local: Local } | { kind: 'bad'; errors: string[] } {
    const read = readYaml(opts.configPath);
    if (!read.ok) return { kind: 'bad', errors: read.errors };
    if (!wantsProvisioning(read.data)) return { kind: 'plain' };
    const own = validateLocal(read.data, opts.configPath);
    if (!own.ok) return { kind: 'bad', errors: own.errors };
    return { kind: 'local', local: { data: read.data, settings: own.provisioning, warnings: own.warnings } };
  }

  /** The last good document, from memory or else from the cache file, verified against today's settings. */
  function lastGood(p: ProvisioningConfig): { ok: true; good: Good } | { ok: false; reason: string } {
    let candidate: Good | undefined = good;
    if (!candidate) {
      const cached = readCache(p.cache);
      if (!cached.ok) return cached;
      candidate = { doc: cached.doc, sha256: '', source: 'cache' };
    }
    const where = candidate.source === 'cache' ? p.cache : 'the last good config';
    const verdict = verifyCached(candidate.doc, p);
    if (!verdict.ok) return { ok: false, reason: `${where}: ${verdict.reason}` };
    good = { ...candidate, sha256: verdict.sha256 };
    return { ok: true, good };
  }

  function request(p: ProvisioningConfig, url: string, etag?: string): { ok: true; req: FetchRequest } | { ok: false; reason: string } {
    let ca: string | undefined;
    if (p.tls_ca !== undefined) {
      try {
        ca = readFileSync(p.tls_ca, 'utf8');
      } catch (err) {
        return { ok: false, reason: `provisioning.tls_ca: cannot read ${p.tls_ca}: ${fileProblem(err)}` };
      }
    }
    const auth = p.auth;
    const authorization =
      auth === undefined ? undefined
      : auth.kind === 'bearer' ? `Bearer ${auth.token}`
      : `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    return {
      ok: true,
      req: {
        url,
        timeoutMs: p.timeout * 1000,
        ...(ca !== undefined ? { ca } : {}),
        ...(authorization !== undefined ? { authorization } : {}),
        ...(etag !== undefined ? { etag } : {}),
      },
    };
  }

  /** Asks the server; a good new document becomes the last good one (and is cached). Logs one line on failure. */
  async function refresh(local: Local): Promise<CheckOutcome> {
    const p = local.settings;
    const expanded = expandUrl(p.url, identity(p.interface));
    const shown = shownUrl(expanded.ok ? expanded.url : p.url);
    const fail = (reason: string): CheckOutcome => {
      failures += 1;
      const keeping = good ? `the last good config (sha256 ${good.sha256.slice(0, 12)}, fetched ${good.doc.fetched_at})` : 'no config yet';
      // One warning per failure; the same failure again at each retry is only debug.
      const repeated = state?.result === 'failed' && state.reason === reason;
      (repeated ? log.debug : log.warn)('provisioning-failed', { url: shown, reason, keeping });
      setState({ url: shown, last_fetch: now().toISOString(), result: 'failed', reason });
      return 'failed';
    };
    lastGood(p); // the cached document's ETag spares a download after a restart
    if (!expanded.ok) return fail(`provisioning.url: no ${expanded.missing} for {${expanded.missing}} (set provisioning.interface)`);
    const url = expanded.url;
    const etag = good && good.doc.url === url ? good.doc.etag : undefined;
    const req = request(p, url, etag);
    if (!req.ok) return fail(req.reason);
    const res = await opts.fetch(req.req);
    if (!res.ok) return fail(res.reason);
    if (res.status === 304) {
      failures = 0;
      setState({ url: shown, last_fetch: now().toISOString(), result: 'unchanged' });
      return 'unchanged';
    }
    let signature: Buffer | undefined;
    if (p.public_key !== undefined) {
      const sigUrl = p.signature_url !== undefined ? expandUrl(p.signature_url, identity(p.interface)) : { ok: true as const, url: `${url}.sig` };
      if (!sigUrl.ok) return fail(`provisioning.signature_url: no ${sigUrl.missing} for {${sigUrl.missing}}`);
      const sigReq = request(p, sigUrl.url);
      if (!sigReq.ok) return fail(sigReq.reason);
      const sig = await opts.fetch(sigReq.req);
      if (!sig.ok) return fail(`signature ${shownUrl(sigUrl.url)}: ${sig.reason}`);
      if (sig.status !== 200) return fail(`signature ${shownUrl(sigUrl.url)}: no body`);
      signature = sig.body;
    }
    const verdict = verifyDocument(res.body, signature, p);
    if (!verdict.ok) return fail(verdict.reason);
    if (!isChange({ kind: 'document', sha256: verdict.sha256 }, good?.sha256)) {
      failures = 0;
      if (good && res.etag !== undefined) good.doc = { ...good.doc, etag: res.etag };
      setState({ url: shown, last_fetch: now().toISOString(), result: 'unchanged' });
      return 'unchanged';
    }
    if (verdict.sha256 === rejected) return fail(`the document (sha256 ${verdict.sha256.slice(0, 12)}) did not start before; waiting for another`);
    const text = res.body.toString('utf8');
    const checked = composeProvisioned(local.data, text, opts.configPath, shown);
    if (!checked.ok) return fail(`invalid config: ${checked.errors.join('; ')}`);
    const doc: CachedDocument = {
      url,
      fetched_at: now().toISOString(),
      document: text,
      ...(res.etag !== undefined ? { etag: res.etag } : {}),
      ...(signature !== undefined ? { signature: signature.toString('base64') } : {}),
    };
    const fetched: Good = { doc, sha256: verdict.sha256, source: 'server' };
    pending = { good: fetched, previous: pending ? pending.previous : good, cache: p.cache };
    good = fetched;
    failures = 0;
    log.info('provisioning-fetched', { url: shown, sha256: verdict.sha256 });
    setState({ url: shown, last_fetch: now().toISOString(), result: 'updated' });
    return 'changed';
  }

  return {
    async load(trigger) {
      const read = readLocal();
      if (read.kind === 'bad') return { ok: false, errors: read.errors };
      if (read.kind === 'plain') {
        inForce = undefined;
        state = undefined;
        return loadConfig(opts.configPath);
      }
      const local = read.local;
      if (trigger !== 'provisioning') await refresh(local);
      const last = lastGood(local.settings);
      if (!last.ok) {
        const why = state?.result === 'failed' ? `${state.reason}; ${last.reason}` : last.reason;
        return { ok: false, errors: [`provisioning: no config from ${state?.url ?? shownUrl(local.settings.url)}: ${why}`], transient: true };
      }
      if (state === undefined) setState({ url: shownUrl(last.good.doc.url), result: 'never' });
      else setState(state);
      const result = composeProvisioned(local.data, last.good.doc.document, opts.configPath, shownUrl(last.good.doc.url));
      if (!result.ok) return { ...result, transient: true };
      inForce = local;
      result.warnings.unshift(...local.warnings);
      return result;
    },
    async check() {
      if (!inForce) return 'off';
      return refresh(inForce);
    },
    nextCheckMs() {
      return inForce ? nextCheckDelayMs(inForce.settings.interval, failures) : undefined;
    },
    status: () => state,
    settled(started, reason) {
      const p = pending;
      if (!p) return false;
      pending = undefined;
      if (started) {
        rejected = undefined;
        try {
          writeCache(p.cache, p.good.doc);
        } catch (err) {
          log.warn('provisioning-cache-failed', { reason: err instanceof Error ? err.message : String(err) });
        }
        return false;
      }
      rejected = p.good.sha256;
      good = p.previous;
      const why = `the document (sha256 ${p.good.sha256.slice(0, 12)}) did not start: ${reason ?? 'unknown reason'}`;
      log.warn('provisioning-rejected', { reason: why, keeping: good ? `sha256 ${good.sha256.slice(0, 12)}` : 'no config' });
      setState({ url: state?.url ?? shownUrl(p.good.doc.url), ...(state?.last_fetch ? { last_fetch: state.last_fetch } : {}), result: 'failed', reason: why });
      return good !== undefined;
    },
  };
}
