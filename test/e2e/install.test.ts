// scripts/install.sh against a scratch root directory (--root, DESTDIR-style):
// the files, modes, owners, user and unit it installs; a dry run that changes
// nothing; a second run that keeps the user's config; uninstall and purge.
// The machine's own /etc, /usr and systemd are never touched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, spawnManaged, waitUntil } from '../support/process.ts';
import { field, seedRoot, snapshot } from '../support/scratch-root.ts';

const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL = join(ROOT_DIR, 'scripts/install.sh');

function install(root: string, ...args: string[]) {
  return runCommand('bash', [INSTALL, '--root', root, ...args], { timeoutMs: 120_000 });
}

const mode = (p: string): number => statSync(p).mode & 0o7777;

describe('scripts/install.sh into a scratch root', { timeout: 180_000 }, () => {
  const tmp = makeTempDir('intercom-install-');
  const root = join(tmp.path, 'root');
  let uid = -1;
  let gid = -1;

  before(() => seedRoot(root));
  after(() => tmp.remove());

  it('--dry-run prints the steps and changes nothing', async () => {
    const before = snapshot(root);
    const r = await install(root, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would run: useradd --prefix \S+ --system/);
    assert.match(r.stdout, /would run: install -m 0640 .*examples\/door\.yaml .*etc\/intercom\/config\.yaml/);
    assert.match(r.stdout, /would run: install -m 0600 .*sip\.secret/);
    assert.match(r.stdout, /dry run: nothing was changed/);
    assert.deepEqual(snapshot(root), before);
  });

  it('installs the program, user, config, secret file and enabled unit', async () => {
    const r = await install(root);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

    const user = field(join(root, 'etc/passwd'), 'intercom');
    assert.ok(user, 'user intercom exists');
    uid = Number(user[2]);
    gid = Number(user[3]);
    assert.ok(uid > 0 && uid < 1000, `a system uid: ${uid}`);
    assert.equal(user[5], '/var/lib/intercom');
    assert.equal(user[6], '/usr/sbin/nologin');
    for (const g of ['audio', 'gpio', 'dialout']) {
      assert.ok(field(join(root, 'etc/group'), g)?.[3]?.split(',').includes('intercom'), `intercom is in group ${g}`);
    }

    const lib = join(root, 'usr/lib/intercom');
    assert.equal(readlinkSync(join(root, 'usr/bin/intercom')), '/usr/lib/intercom/bin/intercom');
    assert.ok(mode(join(lib, 'bin/intercom')) & 0o111, 'bin/intercom is executable');
    assert.ok(existsSync(join(lib, 'dist/cli/main.js')));
    assert.ok(existsSync(join(lib, 'node_modules/koffi')), 'run-time dependencies are there');
    assert.ok(!existsSync(join(lib, 'node_modules/typescript')), 'development dependencies are pruned');
    // npm prune would turn this local package into a link to a folder that is not installed.
    assert.ok(lstatSync(join(lib, 'node_modules/intercom-naudiodon-build')).isDirectory(), 'intercom-naudiodon-build is a folder, not a dangling link');
    assert.equal(statSync(join(lib, 'dist/cli/main.js')).uid, 0, 'the program belongs to root, not the service user');

    const etc = join(root, 'etc/intercom');
    assert.equal(mode(etc), 0o750);
    assert.equal(statSync(etc).gid, gid);
    const config = join(etc, 'config.yaml');
    assert.equal(mode(config), 0o640);
    assert.equal(readFileSync(config, 'utf8'), readFileSync(join(ROOT_DIR, 'examples/door.yaml'), 'utf8'));
    const secret = join(etc, 'sip.secret');
    assert.equal(mode(secret), 0o600);
    assert.equal(statSync(secret).uid, uid, 'the secret belongs to the service user');
    assert.equal(mode(join(root, 'var/lib/intercom')), 0o750);

    const unit = join(root, 'etc/systemd/system/intercom.service');
    assert.equal(readFileSync(unit, 'utf8'), readFileSync(join(ROOT_DIR, 'systemd/intercom.service'), 'utf8'));
    assert.equal(mode(unit), 0o644);
    assert.equal(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/intercom.service')), '/etc/systemd/system/intercom.service');
    assert.match(readFileSync(join(root, 'etc/udev/rules.d/60-intercom-gpio.rules'), 'utf8'), /KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"/);
  });

  it('the installed command runs a station, and its check explains the empty secret', async () => {
    const bin = join(root, 'usr/lib/intercom/bin/intercom');
    const version = await runCommand(bin, ['--version']);
    assert.equal(version.code, 0, version.stderr);
    const pkg = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    // The whole station starts and stops from the installed copy, with only run-time dependencies.
    const port = await freePort('127.0.0.1');
    const config = join(tmp.path, 'station.yaml');
    writeFileSync(
      config,
      stringify({
        sip: { server: `127.0.0.1:${port}`, user: 'door', password: 'pw', listen: '127.0.0.2' },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
        control: { socket: join(tmp.path, 'control.sock') },
      }),
      { mode: 0o600 },
    );
    const station = spawnManaged('intercom', bin, ['run', '--config', config], { timeoutMs: 60_000 });
    await waitUntil('the installed station answers status', async () => (await runCommand(bin, ['status', '--json', '--config', config])).code === 0, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    station.child.kill('SIGTERM');
    assert.equal((await station.exited).code, 0, station.output());
    const check = await runCommand(bin, ['check', '--config', join(root, 'etc/intercom/config.yaml')]);
    assert.equal(check.code, 2);
    assert.match(check.stderr, /^sip\.password_file: \S+sip\.secret is empty$/m);
  });

  it('the installed unit passes systemd-analyze verify and scores as hardened', async () => {
    // verify resolves ExecStart= on this machine, so point it at the scratch root's command
    // (the /usr/bin link is absolute and only resolves inside the installed system).
    const unit = join(tmp.path, 'intercom.service');
    const text = readFileSync(join(root, 'etc/systemd/system/intercom.service'), 'utf8').replaceAll('/usr/bin/intercom', join(root, 'usr/lib/intercom/bin/intercom'));
    writeFileSync(unit, text);
    const verify = await runCommand('systemd-analyze', ['verify', unit], { timeoutMs: 30_000 });
    assert.equal(verify.code, 0, verify.stderr);
    // It only warns (exit 0) on unknown keys or bad values, so any output is a failure.
    assert.equal(verify.stderr.trim(), '', 'systemd-analyze verify is silent');
    assert.match(text, /^Type=notify$/m);
    assert.match(text, /^WatchdogSec=\d+/m);
    const security = await runCommand('systemd-analyze', ['security', '--offline=true', unit], { timeoutMs: 30_000 });
    const score = /Overall exposure level for intercom\.service: ([\d.]+)/.exec(security.stdout + security.stderr);
    assert.ok(score, security.stdout + security.stderr);
    assert.ok(Number(score[1]) <= 3, `exposure ${score[1]} (0 best, 10 worst)`);
  });

  it('running it again keeps the config and secret the user edited', async () => {
    const config = join(root, 'etc/intercom/config.yaml');
    const secret = join(root, 'etc/intercom/sip.secret');
    writeFileSync(config, 'sip:\n  server: 192.0.2.1\n');
    writeFileSync(secret, 'my-password\n');
    const r = await install(root);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /keeping \/etc\/intercom\/config\.yaml/);
    assert.equal(readFileSync(config, 'utf8'), 'sip:\n  server: 192.0.2.1\n');
    assert.equal(readFileSync(secret, 'utf8'), 'my-password\n');
    assert.equal(mode(secret), 0o600);
    const users = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').filter((l) => l.startsWith('intercom:'));
    assert.equal(users.length, 1, 'one user, not two');
    assert.ok(!existsSync(join(root, 'usr/lib/intercom.new')) && !existsSync(join(root, 'usr/lib/intercom.old')), 'no leftovers of the swap');
  });

  it('--uninstall removes the program and keeps the config; --purge removes the rest', async () => {
    const r = await install(root, '--uninstall');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(root, 'usr/lib/intercom')));
    assert.ok(!existsSync(join(root, 'etc/systemd/system/intercom.service')));
    assert.ok(!existsSync(join(root, 'etc/systemd/system/multi-user.target.wants/intercom.service')));
    assert.throws(() => lstatSync(join(root, 'usr/bin/intercom')));
    assert.equal(readFileSync(join(root, 'etc/intercom/sip.secret'), 'utf8'), 'my-password\n');
    assert.ok(field(join(root, 'etc/passwd'), 'intercom'));

    const purge = await install(root, '--uninstall', '--purge');
    assert.equal(purge.code, 0, purge.stderr);
    assert.ok(!existsSync(join(root, 'etc/intercom')));
    assert.ok(!existsSync(join(root, 'var/lib/intercom')));
    assert.equal(field(join(root, 'etc/passwd'), 'intercom'), undefined);
  });

  it('refuses unknown options with one line', async () => {
    const r = await install(root, '--frobnicate');
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'install.sh: unknown option --frobnicate (see install.sh --help)');
  });
});
