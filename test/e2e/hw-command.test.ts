// `intercom hw` against the running station: the profile in use, a pin the
// config overrides, and the live state of inputs and outputs as they change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeGpioPins } from '../support/fake-gpio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

describe('intercom hw', { timeout: 60_000 }, () => {
  const tmp = makeTempDir('intercom-hw-');
  const pins = fakeGpioPins(tmp.path);
  let door: IntercomInstance;

  before(async () => {
    const nobody = await freePort('127.0.0.1');
    door = await startIntercom(
      {
        sip: { server: `127.0.0.1:${nobody}`, user: 'door', password: 'x' },
        profile: 'pi-usb-sound',
        buttons: [{ name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: 4 } }],
        door: { open_ms: 60000 },
        gpio: { backend: 'fake', fake_dir: tmp.path },
        audio: { input: 'none', output: 'none' },
      },
      { waitRegistered: false },
    );
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    tmp.remove();
  });

  it('shows the profile, the overridden button pin and every line with its state', async () => {
    const r = await door.cli('hw');
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout;
    assert.match(text, /^profile: pi-usb-sound \(Raspberry Pi with a USB sound card/m);
    assert.match(text, /^gpio backend: fake$/m);
    assert.match(text, /buttons\[0\]\.gpio\s+gpiochip0 line 4\s+released/);
    assert.match(text, /door\.relay\s+gpiochip0 line 27\s+off/);
    assert.match(text, /gpio\.leds\.error\s+gpiochip0 line 5\s+on/, 'not registered: the error LED is lit');
    assert.match(text, /door\.contact\s+gpiochip0 line 23/);
  });

  it('follows the live state: a held button, the contact, the relay', async () => {
    await pins.levels('gpiochip0', 23, ['low']);
    assert.equal((await door.cli('open')).code, 0);
    await waitUntil('relay on', () => pins.output('gpiochip0', 27) === true, { timeoutMs: 3000 });
    const held = await door.cli('hw', '--json');
    const hw = JSON.parse(held.stdout) as { inputs: Array<{ key: string; active: boolean }>; outputs: Array<{ key: string; active: boolean }> };
    assert.equal(hw.outputs.find((o) => o.key === 'door.relay')?.active, true);
    assert.equal(hw.inputs.find((i) => i.key === 'door.contact')?.active, true);
    assert.match((await door.cli('hw')).stdout, /door\.relay\s+gpiochip0 line 27\s+ENERGISED/);
  });
});
