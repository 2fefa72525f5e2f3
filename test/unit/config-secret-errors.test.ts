// Config errors end up in the journal (a refused reload logs each one), so
// they must never repeat a secret's value, even a malformed one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.ts';

test('unquoted door codes and passwords are refused without echoing them', () => {
  const r = validateConfig(
    { sip: { server: 'pbx', user: 'door', password: 918273 }, buttons: [{ name: 'b', call: ['101'] }], door: { codes: [564738, { code: 192837 }] } },
    '/tmp',
  );
  assert.equal(r.ok, false);
  const text = r.ok ? '' : r.errors.join('\n');
  assert.match(text, /^door\.codes\[0\]: must be quoted/m);
  assert.match(text, /^sip\.password: /m);
  for (const secret of ['918273', '564738', '192837']) assert.ok(!text.includes(secret), `${secret} in:\n${text}`);
});
