// The Ansible role in deploy/ansible, run by Debian's ansible-playbook against
// this machine (connection local) with a scratch root (intercom_root): the
// playbook parses, a check run shows the config it would write and changes
// nothing, a real run installs a release archive from scripts/release.sh and
// writes a config that `intercom check` accepts and the vaulted secret with
// mode 0600, a second run changes nothing, and wrong variables, a bad config
// and an archive for another CPU fail with a message naming what is wrong.
// The machine's own /etc, /usr and services are never touched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { makeTempDir, runCommand } from '../support/process.ts';
import { field, seedRoot, snapshot } from '../support/scratch-root.ts';

const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOY = join(ROOT_DIR, 'deploy/ansible');
// Distinctive, so the test can tell it never reaches the output.
const SIP_PASSWORD = 'vaulted-Qx7rT2pw';

interface Recap {
  ok: number;
  changed: number;
  failed: number;
}

function recap(output: string): Recap {
  const m = /localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(output);
  assert.ok(m, `no play recap in:\n${output}`);
  return { ok: Number(m[1]), changed: Number(m[2]), failed: Number(m[3]) };
}

const mode = (p: string): number => statSync(p).mode & 0o7777;

describe('the Ansible role against localhost with a scratch root', { timeout: 240_000 }, () => {
  const tmp = makeTempDir('intercom-ansible-');
  const root = join(tmp.path, 'root');
  const inventory = join(tmp.path, 'inventory');
  const vaultPass = join(tmp.path, 'vault-pass');
  let archive = '';
  // Its own temp folders and no colour: parallel runs do not meet, output is plain text.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_CONFIG: join(DEPLOY, 'ansible.cfg'),
    ANSIBLE_HOME: join(tmp.path, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: join(tmp.path, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: join(tmp.path, 'ansible-remote'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
  };

  const playbook = (...args: string[]) =>
    runCommand('ansible-playbook', ['-i', join(inventory, 'hosts.yml'), '--vault-password-file', vaultPass, ...args, 'site.yml'], {
      cwd: DEPLOY,
      env,
      timeoutMs: 180_000,
    });

  before(async () => {
    seedRoot(root);
    const release = await runCommand('bash', [join(ROOT_DIR, 'scripts/release.sh'), '--out', join(tmp.path, 'releases')], { timeoutMs: 120_000 });
    assert.equal(release.code, 0, release.stderr);
    archive = release.stdout.trim();
    // One door, this machine, with a button whose extension YAML would read as a number.
    const host = {
      ansible_connection: 'local',
      ansible_become: false,
      intercom_root: root,
      intercom_release_archive: archive,
      intercom_sip_server: '127.0.0.1:5999',
      intercom_sip_user: 201,
      intercom_buttons: [{ name: 'bell', call: [101, '0102'], ring: 'sequential', ring_timeout: 20 }],
      intercom_config_extra: { audio: { input: 'none', output: 'none' }, door: { open_ms: 2500 } },
      intercom_sip_password: '{{ vault_sip_password }}',
      intercom_door_codes: '{{ vault_door_codes }}',
      intercom_access_pins: '{{ vault_pins }}',
      intercom_access_cards: ['04 a2 3f 1b'],
    };
    mkdirSync(join(inventory, 'group_vars/doors'), { recursive: true });
    writeFileSync(join(inventory, 'hosts.yml'), stringify({ doors: { hosts: { localhost: host } } }));
    const vault = join(inventory, 'group_vars/doors/vault.yml');
    writeFileSync(vault, stringify({ vault_sip_password: SIP_PASSWORD, vault_door_codes: ['58213', { code: '07391', name: 'flat', for: ['101'] }], vault_pins: ['402718'] }));
    writeFileSync(vaultPass, 'test-vault-password\n', { mode: 0o600 });
    const encrypt = await runCommand('ansible-vault', ['encrypt', '--vault-password-file', vaultPass, vault], { env, timeoutMs: 60_000 });
    assert.equal(encrypt.code, 0, encrypt.stderr);
    assert.match(readFileSync(vault, 'utf8'), /^\$ANSIBLE_VAULT;/);
  });
  after(() => tmp.remove());

  it('the example playbook and inventory pass --syntax-check', async () => {
    const r = await runCommand('ansible-playbook', ['--syntax-check', '-i', 'inventory/example/hosts.yml', 'site.yml'], { cwd: DEPLOY, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^playbook: site\.yml$/m);
    // ansible-doc reads meta/argument_specs.yml strictly (every option described).
    const doc = await runCommand('ansible-doc', ['-t', 'role', '-r', 'roles', 'intercom'], { cwd: DEPLOY, env, timeoutMs: 60_000 });
    assert.equal(doc.code, 0, doc.stderr);
    assert.match(doc.stdout, /^= intercom_sip_password$/m);
  });

  it('ansible-lint finds nothing (when it is installed)', async (t) => {
    const which = await runCommand('sh', ['-c', 'command -v ansible-lint']);
    if (which.code !== 0) return t.skip('ansible-lint is not installed');
    // Its caches go to HOME: keep them in the test's folder.
    const r = await runCommand('ansible-lint', ['--offline', '--nocolor', 'site.yml'], { cwd: DEPLOY, env: { ...env, HOME: tmp.path }, timeoutMs: 180_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
  });

  it('wrong variables stop the play before anything changes, naming each', async () => {
    const before = snapshot(root);
    const r = await playbook('-e', 'intercom_sip_transport=pigeon', '-e', JSON.stringify({ intercom_buttons: [{ name: 'bell', cal: ['101'] }] }));
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /value of intercom_sip_transport must be one of: udp, tcp, tls, got: pigeon/);
    assert.match(r.stdout, /missing required arguments: call found in intercom_buttons/);
    assert.deepEqual(snapshot(root), before);
  });

  it('--check --diff shows the install and the config it would write, and changes nothing', async () => {
    const before = snapshot(root);
    const r = await playbook('--check', '--diff');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /would install intercom-\S+\.tar\.gz/);
    // Extensions and codes are quoted, so "0102" and "07391" stay strings for the YAML 1.2 reader.
    assert.match(r.stdout, /^\+ {2}user: "201"$/m);
    assert.match(r.stdout, /^\+ {6}- "0102"$/m);
    assert.match(r.stdout, /^\+ {4}- code: "07391"$/m);
    assert.ok(!r.stdout.includes(SIP_PASSWORD), 'the SIP password is not shown');
    assert.ok(recap(r.stdout).changed > 0);
    assert.deepEqual(snapshot(root), before);
  });

  it('installs the release and writes a config intercom check accepts, and the secret with mode 0600', async () => {
    const r = await playbook();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(!r.stdout.includes(SIP_PASSWORD), 'the SIP password is not shown');
    const user = field(join(root, 'etc/passwd'), 'intercom');
    assert.ok(user, 'the installer created the user intercom');
    const [uid, gid] = [Number(user[2]), Number(user[3])];

    const bin = join(root, 'usr/lib/intercom/bin/intercom');
    const config = join(root, 'etc/intercom/config.yaml');
    const check = await runCommand(bin, ['check', '--config', config], { timeoutMs: 30_000 });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /OK \(201@127\.0\.0\.1 via 127\.0\.0\.1:5999\/udp, 1 button\)/);
    assert.equal(mode(config), 0o640);
    assert.equal(statSync(config).uid, 0);
    assert.equal(statSync(config).gid, gid);

    const secret = join(root, 'etc/intercom/sip.secret');
    assert.equal(readFileSync(secret, 'utf8'), `${SIP_PASSWORD}\n`);
    assert.equal(mode(secret), 0o600);
    assert.equal(statSync(secret).uid, uid);

    // Card IDs and PINs reach the door only as the hashes `intercom hash` gives.
    const text = readFileSync(config, 'utf8');
    for (const args of [['--pin', '402718'], ['--card', '04A23F1B']]) {
      const hash = await runCommand(bin, ['hash', ...args]);
      assert.equal(hash.code, 0, hash.stderr);
      assert.ok(text.includes(`"${hash.stdout.trim()}"`), `${args.join(' ')} is listed by its hash`);
    }
    assert.ok(!text.includes('402718'), 'the PIN itself is not in the config');
    assert.match(text, /^ {4}ring: "sequential"$/m);
    assert.match(text, /^ {2}open_ms: 2500$/m);
    assert.ok(!existsSync(join(root, 'var/cache/intercom/release')), 'the unpacked release is removed');
    assert.equal(mode(join(root, 'var/cache')), 0o755, 'folders made on the way have ordinary modes');
  });

  it('a second run, and a check run, change nothing', async () => {
    const before = snapshot(root);
    const again = await playbook();
    assert.equal(again.code, 0, again.stdout);
    assert.equal(recap(again.stdout).changed, 0, again.stdout);
    const check = await playbook('--check', '--diff');
    assert.equal(check.code, 0, check.stdout);
    assert.equal(recap(check.stdout).changed, 0, check.stdout);
    assert.deepEqual(snapshot(root), before);
  });

  it('a config intercom check refuses is not put in place; the reason is shown', async () => {
    const config = join(root, 'etc/intercom/config.yaml');
    const before = readFileSync(config, 'utf8');
    const r = await playbook('-e', JSON.stringify({ intercom_door_codes: ['1111'] }));
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /door\.codes\[0\]: too easy to guess/);
    assert.equal(readFileSync(config, 'utf8'), before);
  });

  it('a changed button rewrites only the config', async () => {
    const r = await playbook('-e', JSON.stringify({ intercom_buttons: [{ name: 'bell', call: ['103'] }] }));
    assert.equal(r.code, 0, r.stdout);
    assert.equal(recap(r.stdout).changed, 1, r.stdout);
    assert.match(r.stdout, /changed: \[localhost\]/);
    assert.match(readFileSync(join(root, 'etc/intercom/config.yaml'), 'utf8'), /^ {6}- "103"$/m);
  });

  it('refuses an archive built for another CPU before running its installer', async () => {
    const foreign = join(tmp.path, 'foreign');
    mkdirSync(join(foreign, 'intercom-9.9.9'), { recursive: true });
    writeFileSync(join(foreign, 'intercom-9.9.9/release.json'), JSON.stringify({ name: 'intercom', version: '9.9.9', arch: 'mips', node_major: 20 }));
    const foreignArchive = join(tmp.path, 'intercom-9.9.9-mips.tar.gz');
    const tar = await runCommand('tar', ['-C', foreign, '-czf', foreignArchive, 'intercom-9.9.9']);
    assert.equal(tar.code, 0, tar.stderr);
    const r = await playbook('-e', `intercom_release_archive=${foreignArchive}`);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /intercom-9\.9\.9-mips\.tar\.gz is built for mips, this door is x64/);
    assert.ok(existsSync(join(root, 'usr/lib/intercom/bin/intercom')), 'the installed program is left alone');
  });
});
