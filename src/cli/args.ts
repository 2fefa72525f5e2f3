// Option parsing for one subcommand, with parse failures turned into one-line
// usage errors that point at --help.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | undefined>;

/** Bad command-line usage; exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = /--[A-Za-z0-9-]+/.exec(quoted ?? '')?.[0] ?? quoted ?? 'an option';
      return /does not take/.test(message) ? `option ${name} takes no value` : `option ${name} needs a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''}`.trim();
    default:
      return message.split('. ')[0] ?? message;
  }
}

/** Parses `args` against `options` strictly (no positionals); throws UsageError naming the command. */
export function parseOptions(command: string, args: string[], options: OptionSpec): OptionValues {
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return values as OptionValues;
  } catch (err) {
    throw new UsageError(`${command}: ${describeParseError(err)} (see intercom ${command} --help)`);
  }
}

/** A string option's value (parseArgs already checked its type). */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
