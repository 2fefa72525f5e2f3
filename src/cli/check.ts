// `intercom check`: validate a config file and say what is wrong, all at once.
import { loadConfig, readYaml, validateLocal } from '../config/load.ts';
import { readCache } from '../provisioning/cache.ts';
import { shownUrl } from '../provisioning/device-url.ts';
import { wantsProvisioning } from '../provisioning/merge.ts';
import type { Config } from '../config/schema.ts';
import type { CliIO } from './io.ts';

function summary(c: Config): string {
  const buttons = c.buttons.length === 1 ? '1 button' : `${c.buttons.length} buttons`;
  const server = `${c.sip.server.host}:${c.sip.server.port}/${c.sip.transport}`;
  return `${c.sip.user}@${c.sip.domain} via ${server}, ${buttons}`;
}

/** Exit status 0 when the file is valid, 2 when not (one line per problem on stderr). */
export function checkCommand(configPath: string, io: CliIO): number {
  // A provisioned door before its first fetch: only the local part can be checked.
  const read = readYaml(configPath);
  if (read.ok && wantsProvisioning(read.data)) {
    const local = validateLocal(read.data, configPath);
    if (local.ok && !readCache(local.provisioning.cache).ok) {
      for (const line of local.warnings) io.err(`warning: ${line}`);
      io.out(`${configPath}: OK (provisioned from ${shownUrl(local.provisioning.url)}; nothing fetched yet, the document is checked when it is)`);
      return 0;
    }
  }
  const result = loadConfig(configPath);
  if (!result.ok) {
    for (const line of result.errors) io.err(line);
    return 2;
  }
  for (const line of result.warnings) io.err(`warning: ${line}`);
  const from = result.config.provisioning ? `, provisioned from ${shownUrl(result.config.provisioning.url)} (as cached)` : '';
  io.out(`${configPath}: OK (${summary(result.config)}${from})`);
  return 0;
}
