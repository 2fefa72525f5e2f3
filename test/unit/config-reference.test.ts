// The config reference in README.md is generated from the schema and the
// example's comments; this fails when either changed and it was not regenerated.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReference, exampleComments, referenceRows, withReference } from '../../src/config/reference.ts';

const read = (rel: string): string => readFileSync(fileURLToPath(new URL(`../../${rel}`, import.meta.url)), 'utf8');

describe('config reference', () => {
  it('README.md carries the current reference (else: npm run docs:config)', () => {
    const readme = read('README.md');
    const updated = withReference(readme, read('examples/door.yaml'));
    assert.ok(updated, 'README.md has the config-reference markers');
    assert.ok(updated === readme, 'the config reference in README.md is out of date: run npm run docs:config');
  });

  it('lists every key with its type and default, required ones marked', () => {
    const rows = referenceRows();
    const byKey = new Map(rows.map((r) => [r.key, r]));
    assert.equal(byKey.get('sip.server')?.required, true);
    assert.equal(byKey.get('sip.transport')?.type, 'udp \\| tcp \\| tls');
    assert.equal(byKey.get('sip.transport')?.default, '"udp"');
    assert.equal(byKey.get('sip.expires')?.type, 'whole number 60..86400');
    assert.equal(byKey.get('door.open_ms')?.default, '3000');
    assert.ok(byKey.has('buttons[].call') && byKey.has('log.level') && byKey.has('control.socket'));
  });

  it('takes explanations from the example, including commented-out keys', () => {
    const notes = exampleComments('sip:\n  # Where to register.\n  server: pbx\n  # Shown on displays.\n  # display_name: Door\n  # The account.\n  user: door\n');
    assert.equal(notes.get('sip.server'), 'Where to register.');
    assert.equal(notes.get('sip.display_name'), 'Shown on displays.');
    assert.equal(notes.get('sip.user'), 'The account.');
    const table = configReference(read('examples/door.yaml'));
    assert.match(table.find((l) => l.startsWith('| `sip.server`')) ?? '', /Registrar/);
  });
});
