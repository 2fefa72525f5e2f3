// The Ansible role in deploy/ansible for real, against this machine with a
// scratch root: it installs a release archive made by scripts/release.sh and
// writes a config that `intercom check` accepts and the vaulted secret with mode
// 0600; a second run changes nothing; a config the door would refuse fails
// with check's own reason and leaves the config in place. (Syntax, arguments,
// check mode and a foreign archive: ansible.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR, SIP_PASSWORD, recap, setUpDoor, type Door } from '../support/ansible.ts';
import { makeTempDir, runCommand } from '../support/process.ts';
import { field, snapshot } from '../support/scratch-root.ts';

const mode = (p: string): number => statSync(p).mode & 0o7777;

describe('the Ansible role installs into a scratch root', { timeout: 115_000 }, () => {
  const tmp = makeTempDir('intercom-ansible-install-');
  let door: Door;

  before(async () => {
    const release = await runCommand('bash', [join(ROOT_DIR, 'scripts/release.sh'), '--out', join(tmp.path, 'releases')], { timeoutMs: 60_000 });
    assert.equal(release.code, 0, release.stderr);
    door = await setUpDoor(tmp.path, release.stdout.trim());
  });
  after(() => tmp.remove());

  it('installs the release and writes a config intercom check accepts, and the secret with mode 0600', async () => {
    const r = await door.playbook();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(!r.stdout.includes(SIP_PASSWORD), 'the SIP password is not shown');
    const root = door.root;
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

  it('a second run changes nothing', async () => {
    const before = snapshot(door.root);
    const again = await door.playbook();
    assert.equal(again.code, 0, again.stdout);
    assert.equal(recap(again.stdout).changed, 0, again.stdout);
    assert.deepEqual(snapshot(door.root), before);
  });

  it('a config intercom check refuses is not put in place; the reason is shown', async () => {
    const config = join(door.root, 'etc/intercom/config.yaml');
    const before = readFileSync(config, 'utf8');
    const r = await door.playbook('-e', JSON.stringify({ intercom_door_codes: ['1111'] }));
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /door\.codes\[0\]: too easy to guess/);
    assert.equal(readFileSync(config, 'utf8'), before);
  });
});
