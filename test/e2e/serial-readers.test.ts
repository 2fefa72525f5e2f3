// Card reader and keypad on serial ports (socat pty pairs) with the real
// `intercom`: an enrolled card opens the door (the relay on the fake GPIO chip
// is energised), an unknown card is refused and logged with its hash, a PIN on
// the keypad opens, and a reader that disappears and comes back is used again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashCredential } from '../../src/io/credentials.ts';
import { fakeGpioPins } from '../support/fake-gpio.ts';
import { freePort } from '../support/ports.ts';
import { startPtyPair, type PtyPair } from '../support/pty-pair.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const RELAY = 27;

function em4100(id: string): string {
  let x = 0;
  for (let i = 0; i < 10; i += 2) x ^= parseInt(id.slice(i, i + 2), 16);
  return `\x02${id}${x.toString(16).toUpperCase().padStart(2, '0')}\x03`;
}

describe('serial card reader and keypad', { timeout: 60_000 }, () => {
  const tmp = makeTempDir('intercom-serial-');
  const pins = fakeGpioPins(tmp.path);
  let reader: PtyPair;
  let keypad: PtyPair;
  let door: IntercomInstance;

  before(async () => {
    reader = await startPtyPair(tmp.path, 'rfid');
    keypad = await startPtyPair(tmp.path, 'keys');
    const nobody = await freePort('127.0.0.1');
    door = await startIntercom(
      {
        sip: { server: `127.0.0.1:${nobody}`, user: 'door', password: 'x' },
        buttons: [{ name: 'bell', call: ['101'] }],
        door: { relay: { chip: 'gpiochip0', line: RELAY }, open_ms: 200 },
        gpio: { backend: 'fake', fake_dir: tmp.path },
        audio: { input: 'none', output: 'none' },
        readers: [
          { name: 'front', device: reader.device, kind: 'card' },
          { name: 'pad', device: keypad.device, kind: 'keypad' },
        ],
        access: { cards: [hashCredential('card', '0A1B2C3D4E')], pins: [hashCredential('pin', '2468')] },
      },
      { waitRegistered: false },
    );
    await waitUntil('readers connected', () => (door.logs().match(/event=serial\.connected/g) ?? []).length === 2, { timeoutMs: 5000 });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await reader?.stop();
    await keypad?.stop();
    tmp.remove();
  });

  it('an enrolled card opens the door and energises the relay', async () => {
    reader.send(em4100('0A1B2C3D4E'));
    await waitUntil('opened', async () => (await door.status()).door.opened === 1, { timeoutMs: 3000 });
    assert.match(door.logs(), /event=card\.accepted reader=front/);
    assert.match(door.logs(), /event=door\.opened by=card:front/);
    assert.match(door.logs(), /event=door\.relay energised=true/);
    await waitUntil('relay off after the pulse', () => pins.output('gpiochip0', RELAY) === false && door.logs().includes('energised=false'), { timeoutMs: 3000 });
  });

  it('an unknown card is refused and logged with its hash, not its number', async () => {
    reader.send(em4100('DEADBEEF01'));
    const hash = hashCredential('card', 'DEADBEEF01');
    await waitUntil('refused', () => door.logs().includes(`event=card.refused reader=front card_hash=${hash}`), { timeoutMs: 3000 });
    assert.equal((await door.status()).door.opened, 1);
    assert.ok(!door.logs().includes('DEADBEEF01'));
  });

  it('a PIN typed on the keypad opens; a wrong one does not', async () => {
    keypad.send('1111#');
    await waitUntil('refused', () => door.logs().includes('event=keypad.refused reader=pad'), { timeoutMs: 3000 });
    keypad.send('2468#');
    await waitUntil('opened', async () => (await door.status()).door.opened === 2, { timeoutMs: 3000 });
    assert.match(door.logs(), /event=door\.opened by=keypad:pad/);
  });

  it('a reader that disappears and returns is used again', async () => {
    await reader.stop();
    await waitUntil('lost', () => door.logs().includes('event=serial.lost reader=front'), { timeoutMs: 3000 });
    reader = await startPtyPair(tmp.path, 'rfid');
    await waitUntil('reconnected', () => (door.logs().match(/event=serial\.connected reader=front/g) ?? []).length === 2, { timeoutMs: 8000 });
    reader.send(em4100('0A1B2C3D4E'));
    await waitUntil('opened', async () => (await door.status()).door.opened === 3, { timeoutMs: 3000 });
  });
});
