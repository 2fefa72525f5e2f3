// `intercom check`: validate a config file and say what is wrong, all at once.
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { CliIO } from './io.ts';

function summary(c: Config): string {
  const buttons = c.buttons.length === 1 ? '1 button' : `${c.buttons.length} buttons`;
  const server = `${c.sip.server.host}:${c.sip.server.port}/${c.sip.transport}`;
  return `${c.sip.user}@${c.sip.domain} via ${server}, ${buttons}`;
}

/** Exit status 0 when the file is valid, 2 when not (one line per problem on stderr). */
export function checkCommand(configPath: string, io: CliIO): number {
  const result = loadConfig(configPath);
  if (!result.ok) {
    for (const line of result.errors) io.err(line);
    return 2;
  }
  for (const line of result.warnings) io.err(`warning: ${line}`);
  io.out(`${configPath}: OK (${summary(result.config)})`);
  return 0;
}
