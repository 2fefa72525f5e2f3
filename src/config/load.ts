// Reads the YAML config file and validates it, collecting every problem at once
// as one line each, so an installer can fix the whole file in one go.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { createConfigSchema, createControlOnlySchema } from './schema.ts';
import type { Config, SecretReader } from './schema.ts';
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

type YamlRead = { ok: true; data: unknown } | { ok: false; errors: string[] };

function readYaml(path: string): YamlRead {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) return { ok: false, errors: [`${path}: too large for a config file`] };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${path}: cannot read: ${fileProblem(err)}`] };
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        // The library appends " at line N, column M:" and a source excerpt; we say the line up front.
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const line = e.linePos?.[0]?.line;
        return `${path}${line === undefined ? '' : `:${line}`}: ${message}`;
      }),
    };
  }
  try {
    const data: unknown = doc.toJS({ maxAliasCount: 100 });
    if (data === null || data === undefined) {
      return { ok: false, errors: [`${path}: is empty (it needs at least sip: and buttons:)`] };
    }
    return { ok: true, data };
  } catch (err) {
    return { ok: false, errors: [`${path}: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

/** Reads and validates a config file; never throws. */
export function loadConfig(path: string): ConfigResult {
  const read = readYaml(path);
  if (!read.ok) return read;
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
