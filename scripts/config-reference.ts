// Regenerates the config reference in README.md from the schema and the
// comments of examples/door.yaml (npm run docs:config).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withReference } from '../src/config/reference.ts';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const example = readFileSync(fileURLToPath(new URL('../examples/door.yaml', import.meta.url)), 'utf8');
const updated = withReference(readFileSync(readmePath, 'utf8'), example);
if (updated === undefined) {
  process.stderr.write('config-reference: README.md has no config-reference markers\n');
  process.exit(1);
}
writeFileSync(readmePath, updated);
process.stdout.write('config-reference: README.md updated\n');
