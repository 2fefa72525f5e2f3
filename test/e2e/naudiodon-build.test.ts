// naudiodon's build on each architecture, as `npm ci` does it: a scratch
// node_modules with naudiodon as published plus scripts/naudiodon-build, whose
// preinstall rewrites naudiodon's binding.gyp; then node-gyp generates the build for
// x64, arm64 and arm (armhf) and the link line is read. x64 must keep the bundled
// library; arm64 and armhf must link the system's (-lportaudio), since the bundled
// x86-64 library cannot link there. Finally the system branch is really compiled and
// loaded on this machine (forced with --naudiodon-portaudio=system), which proves the
// code arm64 uses builds against portaudio19-dev and runs against libportaudio2.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runCommand } from '../support/process.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const naudiodonSrc = join(root, 'node_modules', 'naudiodon');
const helperSrc = join(root, 'scripts', 'naudiodon-build');

async function nodeGypPath(): Promise<string> {
  const r = await runCommand('npm', ['root', '-g'], { timeoutMs: 10_000 });
  const candidates = [join(r.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`npm's node-gyp not found (looked at ${candidates.join(', ')})`);
  return found;
}

/** The LIBS := ... block of the generated makefile, joined on one line. */
function linkLibraries(makefile: string): string {
  const m = /^LIBS := \\\n((?:\t.*\n)*)/m.exec(makefile);
  return m ? (m[1] ?? '').replace(/\s+/g, ' ').trim() : '';
}

describe('naudiodon build configuration per architecture', { skip: !existsSync(naudiodonSrc) && 'naudiodon is not installed', timeout: 120_000 }, () => {
  const tmp = makeTempDir('intercom-naudiodon-');
  const modules = join(tmp.path, 'node_modules');
  const pkg = join(modules, 'naudiodon');
  let gyp = '';
  const env = { ...process.env, npm_config_nodedir: process.env['npm_config_nodedir'] ?? '/usr' };

  before(async () => {
    gyp = await nodeGypPath();
    // Sources only: the project's own build output must not leak in.
    cpSync(naudiodonSrc, pkg, { recursive: true, filter: (src) => !src.startsWith(join(naudiodonSrc, 'build')) });
    cpSync(helperSrc, join(modules, 'intercom-naudiodon-build'), { recursive: true });
  });
  after(() => tmp.remove());

  it('the preinstall rewrites binding.gyp, once', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runCommand(process.execPath, ['preinstall.mjs'], { cwd: join(modules, 'intercom-naudiodon-build'), timeoutMs: 10_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /intercom-naudiodon-build: .*binding\.gyp: for \w+, PortAudio/);
    }
    assert.match(readFileSync(join(pkg, 'binding.gyp'), 'utf8'), /^# intercom: PortAudio chosen per architecture/);
  });

  const expected: Array<[string, RegExp]> = [
    ['x64', /^\S*\/build\/Release\/libportaudio\.so\.2$/],
    ['arm64', /^-lportaudio$/],
    ['arm', /^-lportaudio$/],
  ];
  for (const [arch, libs] of expected) {
    it(`node-gyp configure --arch=${arch} links ${arch === 'x64' ? 'the bundled library' : 'the system PortAudio'}`, async (t) => {
      const r = await runCommand(process.execPath, [gyp, 'configure', `--arch=${arch}`], { cwd: pkg, env, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      const mk = readFileSync(join(pkg, 'build', 'naudiodon.target.mk'), 'utf8');
      assert.match(readFileSync(join(pkg, 'build', 'config.gypi'), 'utf8'), new RegExp(`"target_arch": "${arch}"`));
      const line = linkLibraries(mk);
      t.diagnostic(`${arch}: LIBS = ${line}`);
      assert.match(line, libs);
      // The system build compiles against the system header, not the bundled copy.
      assert.equal(mk.includes('portaudio/include'), arch === 'x64');
    });
  }

  it('the system-PortAudio build compiles, links libportaudio2 and lists devices', async (t) => {
    if (!existsSync('/usr/include/portaudio.h')) return t.skip('portaudio19-dev is not installed');
    const r = await runCommand(process.execPath, [gyp, 'rebuild', '--naudiodon-portaudio=system', '-j', '2'], { cwd: pkg, env, timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stderr);
    const addon = join(pkg, 'build', 'Release', 'naudiodon.node');
    const ldd = await runCommand('ldd', [addon], { timeoutMs: 10_000 });
    const pa = ldd.stdout.split('\n').find((l) => l.includes('libportaudio')) ?? '';
    t.diagnostic(`ldd: ${pa.trim()}`);
    assert.match(pa, /=> (\/usr)?\/lib\/\S+\/libportaudio\.so\.2 /);
    assert.equal(existsSync(join(pkg, 'build', 'Release', 'libportaudio.so.2')), false, 'no bundled copy next to a system build');
    // Loads and talks to PortAudio (no sound card: an empty ALSA config still initialises).
    const probe = `const n = require(${JSON.stringify(addon)}); process.stderr.write('DEVICES ' + JSON.stringify(n.getDevices().length) + '\\n');`;
    const load = await runCommand(process.execPath, ['-e', probe], { cwd: tmp.path, env, timeoutMs: 20_000 });
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stderr, /DEVICES \d+/);
  });
});
