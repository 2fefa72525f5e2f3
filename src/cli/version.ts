// The program version, taken from package.json so there is one source of truth.
import { readFileSync } from 'node:fs';

/** The package version; both src/cli and dist/cli sit two levels below package.json. */
export function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
