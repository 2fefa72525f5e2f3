// `intercom check` refuses trivial door codes unless explicitly allowed, one line each, never echoing a code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommand } from '../../src/cli/check.ts';

function check(doorYaml: string): { code: number; out: string[]; err: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-codes-'));
  try {
    const path = join(dir, 'door.yaml');
    writeFileSync(path, `sip: { server: 127.0.0.1, user: door, password: "x" }\nbuttons: [{ name: bell, call: ["101"] }]\ndoor: ${doorYaml}\n`, { mode: 0o600 });
    const out: string[] = [];
    const err: string[] = [];
    const code = checkCommand(path, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('check refuses 1234, 0000 and single digits with exit 2; allow_trivial_codes turns them into warnings', () => {
  const bad = check('{ codes: ["1234", "7394", "0000", "5"] }');
  assert.equal(bad.code, 2);
  assert.deepEqual(
    bad.err.map((l) => l.split(':')[0]),
    ['door.codes[0]', 'door.codes[2]', 'door.codes[3]'],
  );
  assert.ok(!bad.err.join('\n').match(/1234|0000/), 'the codes themselves are not printed');
  const allowed = check('{ codes: ["1234"], allow_trivial_codes: true }');
  assert.equal(allowed.code, 0);
  assert.match(allowed.err.join('\n'), /^warning: door\.codes\[0\]: easy to guess/);
  assert.equal(check('{ codes: ["7394"] }').code, 0);
});
