// Runs as this package's preinstall. npm runs every dependency's preinstall before
// any dependency's install script, so naudiodon's binding.gyp is rewritten here,
// before its `node-gyp rebuild`. Afterwards would be too late: npm removes an
// optional dependency whose build failed. Never fails the installation itself.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { rewriteBinding } from './binding-gyp.mjs';

function naudiodonDir() {
  try {
    // Resolved from here: naudiodon is this package's sibling in node_modules.
    return dirname(createRequire(join(process.cwd(), 'package.json')).resolve('naudiodon/package.json'));
  } catch {
    return undefined;
  }
}

const dir = naudiodonDir();
const file = dir && join(dir, 'binding.gyp');
if (!file || !existsSync(file)) {
  console.error('intercom-naudiodon-build: naudiodon is not installed; nothing to do');
} else {
  try {
    const before = readFileSync(file, 'utf8');
    const after = rewriteBinding(before);
    if (after !== before) writeFileSync(file, after);
    // npm passes a cross build's target as npm_config_arch; node-gyp builds for it.
    const arch = process.env.npm_config_arch || process.arch;
    console.error(`intercom-naudiodon-build: ${file}: for ${arch}, PortAudio ${arch === 'x64' ? 'bundled (x86-64)' : 'from the system (-lportaudio)'}`);
  } catch (err) {
    console.error(`intercom-naudiodon-build: left ${file} as published: ${err instanceof Error ? err.message : String(err)}`);
  }
}
