import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyProfile, profileNames } from '../../src/config/profile.ts';
import { validateConfig } from '../../src/config/load.ts';
import { runCli } from '../../src/cli/app.ts';
import { hashCredential } from '../../src/io/credentials.ts';

const BASE = { sip: { server: '127.0.0.1', user: 'door', password: 'x' }, buttons: [{ name: 'bell', call: ['101'] }] };

describe('board profiles', () => {
  it('ships the common builds, each a valid config when applied', () => {
    const names = profileNames();
    assert.deepEqual(names, ['pi-usb-sound', 'respeaker-2mic-hat', 'waveshare-relay-hat']);
    for (const profile of names) {
      const r = validateConfig({ ...BASE, profile }, '/tmp');
      assert.ok(r.ok, `${profile}: ${r.ok ? '' : r.errors.join('; ')}`);
    }
  });

  it('fills in the pins the config leaves out; the config overrides any pin', () => {
    const r = validateConfig(
      {
        ...BASE,
        profile: 'pi-usb-sound',
        buttons: [{ name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: 4 } }],
        door: { relay: { chip: 'gpiochip0', line: 16, active_low: true } },
        audio: { output: 'none' },
      },
      '/tmp',
    );
    assert.ok(r.ok);
    const c = r.config;
    assert.equal(c.buttons[0]?.gpio?.line, 4);
    assert.deepEqual(c.door.relay, { chip: 'gpiochip0', line: 16, active_low: true });
    assert.equal(c.door.contact?.line, 23, 'from the profile');
    assert.equal(c.gpio.leds.in_call?.line, 19);
    assert.equal(c.audio.input, 'USB Audio');
    assert.equal(c.audio.output, 'none');
  });

  it('an unknown profile is one line naming the key and the choices', () => {
    const r = applyProfile({ ...BASE, profile: 'pi-foo' });
    assert.deepEqual(r, { ok: false, errors: ['profile: no board profile "pi-foo" (available: pi-usb-sound, respeaker-2mic-hat, waveshare-relay-hat)'] });
  });
});

describe('intercom hash', () => {
  it('prints the hash for access.cards and access.pins', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['hash', '--card', '0a1b2c3d4e'], io), 0);
    assert.equal(await runCli(['hash', '--pin', '2468'], io), 0);
    assert.deepEqual(out, [hashCredential('card', '0A1B2C3D4E'), hashCredential('pin', '2468')]);
    assert.equal(await runCli(['hash'], io), 2);
    assert.match(err[0]!, /give exactly one of --card ID or --pin PIN/);
  });
});
