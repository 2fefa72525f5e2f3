// The Ansible role in deploy/ansible, statically and in check mode: the example
// playbook and inventory parse, the role's argument spec is well-formed (and
// ansible-lint, when installed, finds nothing), wrong variables stop a door
// before anything changes, a --check --diff run against this machine shows
// the install and the config it would write and changes nothing, and an
// archive built for another CPU is refused before its installer runs. The real
// install and its idempotence are in ansible-install.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY, SIP_PASSWORD, recap, setUpDoor, stubArchive, type Door } from '../support/ansible.ts';
import { makeTempDir, runCommand } from '../support/process.ts';
import { snapshot } from '../support/scratch-root.ts';

describe('the Ansible role: syntax, arguments and a check run', { timeout: 110_000 }, () => {
  const tmp = makeTempDir('intercom-ansible-');
  let door: Door;

  before(async () => {
    // A check run only looks at the archive (its checksum), so a stub stands in for a release.
    door = await setUpDoor(tmp.path, await stubArchive(tmp.path, '0.0.0', process.arch));
  });
  after(() => tmp.remove());

  it('the example playbook and inventory pass --syntax-check; ansible-doc reads the argument spec', async () => {
    const r = await runCommand('ansible-playbook', ['--syntax-check', '-i', 'inventory/example/hosts.yml', 'site.yml'], { cwd: DEPLOY, env: door.env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^playbook: site\.yml$/m);
    // ansible-doc reads meta/argument_specs.yml strictly (every option described).
    const doc = await runCommand('ansible-doc', ['-t', 'role', '-r', 'roles', 'intercom'], { cwd: DEPLOY, env: door.env, timeoutMs: 60_000 });
    assert.equal(doc.code, 0, doc.stderr);
    assert.match(doc.stdout, /^= intercom_sip_password$/m);
  });

  it('ansible-lint finds nothing (when it is installed)', async (t) => {
    const which = await runCommand('sh', ['-c', 'command -v ansible-lint']);
    if (which.code !== 0) return t.skip('ansible-lint is not installed');
    // Its caches go to HOME: keep them in the test's folder.
    const r = await runCommand('ansible-lint', ['--offline', '--nocolor', 'site.yml'], { cwd: DEPLOY, env: { ...door.env, HOME: tmp.path }, timeoutMs: 90_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
  });

  it('wrong variables stop the play before anything changes, naming each', async () => {
    const before = snapshot(door.root);
    const r = await door.playbook('-e', 'intercom_sip_transport=pigeon', '-e', JSON.stringify({ intercom_buttons: [{ name: 'bell', cal: ['101'] }] }));
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /value of intercom_sip_transport must be one of: udp, tcp, tls, got: pigeon/);
    assert.match(r.stdout, /missing required arguments: call found in intercom_buttons/);
    assert.deepEqual(snapshot(door.root), before);
  });

  it('--check --diff keeps the config (and its door codes) out of the output by default', async () => {
    const r = await door.playbook('--check', '--diff');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(!r.stdout.includes('07391'), 'no door code in the output');
    assert.ok(!r.stdout.includes(SIP_PASSWORD), 'the SIP password is not shown');
  });

  it('--check --diff with intercom_config_diff shows the install and the config it would write, and changes nothing', async () => {
    const before = snapshot(door.root);
    const r = await door.playbook('--check', '--diff', '-e', 'intercom_config_diff=true');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /would install intercom-0\.0\.0-\S+\.tar\.gz/);
    // Extensions and codes are quoted, so "0102" and "07391" stay strings for a YAML 1.2 reader.
    assert.match(r.stdout, /^\+ {2}user: "201"$/m);
    assert.match(r.stdout, /^\+ {6}- "0102"$/m);
    assert.match(r.stdout, /^\+ {4}- code: "07391"$/m);
    assert.ok(!r.stdout.includes(SIP_PASSWORD), 'the SIP password is not shown');
    assert.ok(recap(r.stdout).changed > 0);
    assert.deepEqual(snapshot(door.root), before);
  });

  it('refuses an archive built for another CPU before running its installer', async () => {
    const foreign = await stubArchive(join(tmp.path, 'foreign'), '9.9.9', 'mips');
    const before = snapshot(door.root);
    const r = await door.playbook('-e', `intercom_release_archive=${foreign}`);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, new RegExp(`intercom-9\\.9\\.9-mips\\.tar\\.gz is built for mips, this door is ${process.arch}`));
    // The unpacked archive is removed after the failure too; only the (empty) cache folder stays.
    assert.deepEqual(snapshot(door.root).filter((l) => !l.startsWith('var')), before.filter((l) => !l.startsWith('var')));
    assert.ok(!existsSync(join(door.root, 'var/cache/intercom/release')), 'the unpacked archive is removed');
    assert.ok(!existsSync(join(door.root, 'usr/lib/intercom')), 'its installer did not run');
  });
});
