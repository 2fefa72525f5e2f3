// The Ansible role in deploy/ansible run by Debian's ansible-playbook against
// this machine (connection local), installing into a scratch root
// (intercom_root) so that the machine's own /etc, /usr and services are never
// touched. One door, "localhost", with its secrets in a real Ansible Vault file.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runCommand, type RunResult } from './process.ts';
import { seedRoot } from './scratch-root.ts';

export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const DEPLOY = join(ROOT_DIR, 'deploy/ansible');
/** Distinctive, so a test can tell it never reaches the output. */
export const SIP_PASSWORD = 'vaulted-Qx7rT2pw';

/** Its own temp folders and no colour: parallel runs do not meet, output is plain text. */
export function ansibleEnv(tmp: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ANSIBLE_CONFIG: join(DEPLOY, 'ansible.cfg'),
    ANSIBLE_HOME: join(tmp, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: join(tmp, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: join(tmp, 'ansible-remote'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    // Modules are fed to Python on stdin instead of through temp files: fewer steps per task.
    ANSIBLE_PIPELINING: '1',
  };
}

export interface Door {
  /** The scratch root the role installs into. */
  root: string;
  env: NodeJS.ProcessEnv;
  /** ansible-playbook site.yml with this door's inventory and vault password, plus `args`. */
  playbook(...args: string[]): Promise<RunResult>;
}

/**
 * A seeded scratch root and an inventory for it in `tmp`: a button whose
 * extensions YAML would read as numbers, door codes and a PIN in the vault.
 */
export async function setUpDoor(tmp: string, archive: string): Promise<Door> {
  const root = join(tmp, 'root');
  const inventory = join(tmp, 'inventory');
  const vaultPass = join(tmp, 'vault-pass');
  const env = ansibleEnv(tmp);
  seedRoot(root);
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
  return {
    root,
    env,
    playbook: (...args) =>
      runCommand('ansible-playbook', ['-i', join(inventory, 'hosts.yml'), '--vault-password-file', vaultPass, ...args, 'site.yml'], {
        cwd: DEPLOY,
        env,
        timeoutMs: 110_000,
      }),
  };
}

/** An archive with only release.json: enough for a check run, which never unpacks it. */
export async function stubArchive(dir: string, version: string, arch: string): Promise<string> {
  const name = `intercom-${version}`;
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'release.json'), JSON.stringify({ name: 'intercom', version, arch, node_major: 20 }));
  const archive = join(dir, `${name}-${arch}.tar.gz`);
  const tar = await runCommand('tar', ['-C', dir, '-czf', archive, name]);
  assert.equal(tar.code, 0, tar.stderr);
  return archive;
}

export interface Recap {
  ok: number;
  changed: number;
  failed: number;
}

export function recap(output: string): Recap {
  const m = /localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(output);
  assert.ok(m, `no play recap in:\n${output}`);
  return { ok: Number(m[1]), changed: Number(m[2]), failed: Number(m[3]) };
}
