// Reads the YAML config file and validates it, collecting every problem at once
// as one line each, so an installer can fix the whole file in one go.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { createConfigSchema, createControlOnlySchema } from './schema.ts';
import type { Config, SecretReader } from './schema.ts';
import type { ProvisioningConfig } from './provisioning-schema.ts';
import { misplacedLocalKeys, mergeProvisioned, wantsProvisioning } from '../provisioning/merge.ts';
import { readCache, verifyCached } from '../provisioning/cache.ts';
import { configErrorMap, formatIssues } from './issues.ts';
import { fileProblem } from './file-problem.ts';
import { checkPrompts } from './prompts.ts';
import { applyProfile } from './profile.ts';
import { trivialCodeReason } from './door-codes.ts';
import { permissionWarnings } from './permissions.ts';

export type ConfigResult =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[] };

/** Larger than any sensible config; stops a wrong --config (a disk image, a log) early. */
const MAX_CONFIG_BYTES = 1024 * 1024;

function worldReadable(path: string): boolean {
  try {
    return (statSync(path).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

function secretReader(baseDir: string, warnings: string[]): SecretReader {
  return (file, key = 'sip.password_file') => {
    const path = resolve(baseDir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      return { ok: false, error: `cannot read ${path}: ${fileProblem(err)}` };
    }
    // Files written with `echo secret > file` end in a newline that is not part of the secret.
    const value = text.replace(/[\r\n]+$/, '');
    if (value === '') return { ok: false, error: `${path} is empty` };
    if (worldReadable(path)) {
      warnings.push(`${key}: ${path} is readable by every user; chmod 600 it`);
    }
    return { ok: true, path, value };
  };
}

/** Validates parsed config data; `baseDir` anchors relative file names, `source` names the whole document. */
export function validateConfig(data: unknown, baseDir: string, source = 'config'): ConfigResult {
  const warnings: string[] = [];
  // A board profile fills in the pins the config leaves out, before anything is checked.
  const profiled = applyProfile(data);
  if (!profiled.ok) return { ok: false, errors: profiled.errors };
  const parsed = createConfigSchema(secretReader(baseDir, warnings)).safeParse(profiled.data, { error: configErrorMap });
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues, source) };
  const prompts = checkPrompts(parsed.data.tones.prompts, baseDir);
  if (prompts.errors.length > 0) return { ok: false, errors: prompts.errors };
  const config: Config = { ...parsed.data, tones: { ...parsed.data.tones, prompts: prompts.prompts } };
  // Trivial codes are errors unless allowed; when allowed, say so once per code.
  for (const [i, entry] of config.door.codes.entries()) {
    const why = trivialCodeReason(typeof entry === 'string' ? entry : entry.code);
    if (why) warnings.push(`door.codes[${i}]: easy to guess (${why}); allowed by door.allow_trivial_codes`);
  }
  return { ok: true, config, warnings };
}

export type YamlRead = { ok: true; data: unknown } | { ok: false; errors: string[] };

/** Parses YAML config text; `name` (a path or URL) starts each error line. */
export function parseYamlText(text: string, name: string): YamlRead {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) return { ok: false, errors: [`${name}: too large for a config file`] };
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        // The library appends " at line N, column M:" and a source excerpt; we say the line up front.
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const line = e.linePos?.[0]?.line;
        return `${name}${line === undefined ? '' : `:${line}`}: ${message}`;
      }),
    };
  }
  try {
    const data: unknown = doc.toJS({ maxAliasCount: 100 });
    if (data === null || data === undefined) {
      return { ok: false, errors: [`${name}: is empty (it needs at least sip: and buttons:)`] };
    }
    return { ok: true, data };
  } catch (err) {
    return { ok: false, errors: [`${name}: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

/** Reads a config file's data without validating it. */
export function readYaml(path: string): YamlRead {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) return { ok: false, errors: [`${path}: too large for a config file`] };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${path}: cannot read: ${fileProblem(err)}`] };
  }
  return parseYamlText(text, path);
}

export type LocalResult =
  | { ok: true; provisioning: ProvisioningConfig; warnings: string[] }
  | { ok: false; errors: string[] };

/**
 * Checks the local file of a provisioned door (provisioning/merge.ts says what
 * it may hold): its own keys, and that the secret files can be read.
 */
export function validateLocal(data: Record<string, unknown>, path: string): LocalResult {
  const warnings: string[] = [];
  const readSecret = secretReader(dirname(resolve(path)), warnings);
  const errors = misplacedLocalKeys(data, path);
  const own = createConfigSchema(readSecret)
    .pick({ provisioning: true, control: true })
    .safeParse({ provisioning: data['provisioning'], control: data['control'] }, { error: configErrorMap });
  if (!own.success) errors.push(...formatIssues(own.error.issues, path));
  const sip = typeof data['sip'] === 'object' && data['sip'] !== null ? (data['sip'] as Record<string, unknown>) : {};
  if (typeof sip['password_file'] === 'string') {
    const read = readSecret(sip['password_file']);
    if (!read.ok) errors.push(`sip.password_file: ${read.error}`);
  } else if (sip['password'] === undefined) {
    errors.push('sip.password: required (or sip.password_file): the SIP secret stays in the local file');
  }
  if (errors.length > 0 || !own.success || own.data.provisioning === undefined) return { ok: false, errors };
  return { ok: true, provisioning: own.data.provisioning, warnings };
}

/**
 * A provisioned door's config: the document's text (from `names.remote`) with
 * the local file's own keys laid over it, validated exactly like a local file.
 */
export function composeProvisioned(local: Record<string, unknown>, documentText: string, path: string, remote: string): ConfigResult {
  const parsed = parseYamlText(documentText, remote);
  if (!parsed.ok) return parsed;
  const merged = mergeProvisioned(local, parsed.data, { local: path, remote });
  if (!merged.ok) return merged;
  const result = validateConfig(merged.data, dirname(resolve(path)), remote);
  if (result.ok) result.warnings.push(...permissionWarnings(path, result.config));
  return result;
}

/** A provisioned door's config from the local file and the cached document (verified again); never fetches. */
function loadCachedProvisioned(local: Record<string, unknown>, path: string): ConfigResult {
  const own = validateLocal(local, path);
  if (!own.ok) return own;
  const p = own.provisioning;
  const cached = readCache(p.cache);
  const noConfig = (reason: string): ConfigResult => ({
    ok: false,
    errors: [`provisioning: no provisioned config to use yet (${reason}); \`intercom run\` fetches it from provisioning.url`],
  });
  if (!cached.ok) return noConfig(cached.reason);
  const verdict = verifyCached(cached.doc, p);
  if (!verdict.ok) return noConfig(`${p.cache}: ${verdict.reason}`);
  const result = composeProvisioned(local, cached.doc.document, path, p.cache);
  if (result.ok) result.warnings.unshift(...own.warnings);
  return result;
}

/** Reads and validates a config file (a provisioned door's with its cached document); never throws. */
export function loadConfig(path: string): ConfigResult {
  const read = readYaml(path);
  if (!read.ok) return read;
  if (wantsProvisioning(read.data)) return loadCachedProvisioned(read.data, path);
  const result = validateConfig(read.data, dirname(resolve(path)), path);
  if (result.ok && result.config.sip.password_file === undefined && worldReadable(path)) {
    result.warnings.unshift(
      `sip.password: ${path} is readable by every user; chmod 600 it or move the secret to sip.password_file`,
    );
  }
  if (result.ok) result.warnings.push(...permissionWarnings(path, result.config));
  return result;
}

/**
 * The control socket path from a config file, checking nothing else: client
 * commands (status, press, ...) must work for a user who may not read the secrets.
 */
export function loadControlSocket(path: string): { ok: true; socket: string } | { ok: false; errors: string[] } {
  const read = readYaml(path);
  if (!read.ok) return read;
  const parsed = createControlOnlySchema().safeParse(read.data, { error: configErrorMap });
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues, path) };
  return { ok: true, socket: parsed.data.control.socket };
}
