// Structured logging: one line per event, an event name plus fields, as logfmt
// text or JSON. Secrets are masked (see redact.ts). Output goes to stderr so that
// stdout stays free for command output such as `status --json`.
import { fstatSync } from 'node:fs';
import { logfmtKey, logfmtValue } from './logfmt.ts';
import { redact } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

/** Where lines go; a Writable, or anything with write() in tests. */
export interface LogSink {
  write(chunk: string): unknown;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. { call: id }). */
  child(fields: LogFields): Logger;
  /** Whether a level is written at all; lets callers skip building costly fields. */
  isEnabled(level: LogLevel): boolean;
}

/** The part of a logger that protocol and media code needs: events at three levels. */
export type EventLog = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Default: process.stderr. */
  stream?: LogSink;
  /**
   * Whether the sink is systemd's journal. Then text lines carry no timestamp
   * (journald adds its own) but a `<N>` priority prefix, which journald turns
   * into the entry's priority. Default: detected from JOURNAL_STREAM.
   */
  journal?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// syslog priorities: debug 7, info 6, warning 4, err 3.
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };
const RESERVED = new Set(['ts', 'level', 'event']);

/** True when stderr is the stream systemd connected to the journal (JOURNAL_STREAM=dev:inode). */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env['JOURNAL_STREAM'] ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(2, { bigint: true });
    return st.dev === BigInt(m[1] ?? '') && st.ino === BigInt(m[2] ?? '');
  } catch {
    return false;
  }
}

let stderrGuarded = false;
/** A closed stderr (EPIPE) must not turn logging into a crash. */
function guardedStderr(): LogSink {
  if (!stderrGuarded) {
    process.stderr.on('error', () => {});
    stderrGuarded = true;
  }
  return process.stderr;
}

/** Field names that would collide with ts/level/event are prefixed with "_". */
function fieldName(key: string): string {
  return RESERVED.has(key) ? `_${key}` : key;
}

function formatText(ts: string | undefined, level: LogLevel, event: string, fields: LogFields, journal: boolean): string {
  const parts: string[] = [];
  if (journal) parts.push(`<${PRIORITY[level]}>level=${level}`);
  else parts.push(`ts=${ts ?? ''}`, `level=${level}`);
  parts.push(`event=${logfmtValue(event)}`);
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    parts.push(`${logfmtKey(fieldName(k))}=${logfmtValue(v)}`);
  }
  return parts.join(' ');
}

function formatJson(ts: string, level: LogLevel, event: string, fields: LogFields): string {
  const record: LogFields = { ts, level, event };
  for (const [k, v] of Object.entries(fields)) record[fieldName(k)] = v;
  return JSON.stringify(record);
}

/** Creates a logger writing one line per event at or above `level`. */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? guardedStderr();
  const journal = options.journal ?? (options.stream === undefined && stderrIsJournal());
  const now = options.now ?? (() => new Date());
  const threshold = RANK[options.level];

  function write(level: LogLevel, event: string, base: LogFields, fields: LogFields | undefined): void {
    if (RANK[level] < threshold) return;
    const merged = redact({ ...base, ...fields }) as LogFields;
    const ts = now().toISOString();
    const line =
      options.format === 'json' ? formatJson(ts, level, event, merged) : formatText(ts, level, event, merged, journal);
    try {
      stream.write(`${line}\n`);
    } catch {
      // Nowhere left to report a failing log sink; the station keeps running.
    }
  }

  function make(base: LogFields): Logger {
    return {
      debug: (event, fields) => write('debug', event, base, fields),
      info: (event, fields) => write('info', event, base, fields),
      warn: (event, fields) => write('warn', event, base, fields),
      error: (event, fields) => write('error', event, base, fields),
      child: (fields) => make({ ...base, ...fields }),
      isEnabled: (level) => RANK[level] >= threshold,
    };
  }
  return make({});
}

/** A logger that drops everything; for tests and library callers that do not care. */
export function silentLogger(): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: () => {},
    child: () => logger,
    isEnabled: () => false,
  };
  return logger;
}
