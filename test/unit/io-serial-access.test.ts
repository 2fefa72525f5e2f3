import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CardFrameParser, em4100 } from '../../src/io/card-frames.ts';
import { credentialAllowed, hashCredential } from '../../src/io/credentials.ts';
import { KeypadEntry } from '../../src/io/keypad-entry.ts';

/** An EM4100 frame as an RDM6300 module sends it. */
function frame(id: string): Buffer {
  let x = 0;
  for (let i = 0; i < 10; i += 2) x ^= parseInt(id.slice(i, i + 2), 16);
  return Buffer.from(`\x02${id}${x.toString(16).toUpperCase().padStart(2, '0')}\x03`, 'latin1');
}

describe('card frames', () => {
  it('reads EM4100 frames, checks the checksum, and reads a repeated card once', () => {
    const p = new CardFrameParser({ repeatMs: 2000 });
    assert.deepEqual(p.push(frame('0A1B2C3D4E'), 0).ids, ['0A1B2C3D4E']);
    assert.deepEqual(p.push(Buffer.concat([frame('0A1B2C3D4E'), frame('0A1B2C3D4E')]), 300).ids, []);
    assert.deepEqual(p.push(frame('0A1B2C3D4E'), 5000).ids, ['0A1B2C3D4E'], 'presented again later');
    const bad = Buffer.from('\x020A1B2C3D4E00\x03', 'latin1');
    assert.deepEqual(p.push(bad, 9000), { ids: [], bad: ['0A1B2C3D4E00'] });
    assert.equal(em4100('0A1B2C3D4E' + 'FF'), undefined);
  });

  it('reads line-framed IDs split across chunks', () => {
    const p = new CardFrameParser();
    assert.deepEqual(p.push(Buffer.from('00123'), 0).ids, []);
    assert.deepEqual(p.push(Buffer.from('45678\r\n'), 1).ids, ['0012345678']);
    assert.deepEqual(p.push(Buffer.from('04:a2:b3:c4\n'), 5000).ids, ['04A2B3C4']);
  });
});

describe('credentials', () => {
  it('compares by hash; a card ID is not a PIN', () => {
    const allowed = [hashCredential('card', '0a1b2c3d4e')];
    assert.match(allowed[0]!, /^sha256:[0-9a-f]{64}$/);
    assert.equal(credentialAllowed('card', '0A1B2C3D4E', allowed), true);
    assert.equal(credentialAllowed('card', '0A1B2C3D4F', allowed), false);
    assert.equal(credentialAllowed('pin', '0A1B2C3D4E', allowed), false);
  });
});

describe('keypad entry', () => {
  it('# submits, * clears, a pause forgets, wrong PINs lock the keypad', () => {
    const k = new KeypadEntry({ timeoutMs: 5000, maxWrong: 2, lockoutMs: 60_000 });
    const type = (keys: string, at: number) => [...keys].map((c) => k.key(c, at)).filter(Boolean);
    assert.deepEqual(type('12*34#', 0), [{ type: 'pin', pin: '34' }]);
    type('99', 100);
    assert.deepEqual(type('1#', 10_000), [{ type: 'pin', pin: '1' }], 'the 99 was forgotten');
    k.verdict(false, 10_000);
    k.verdict(false, 10_001);
    assert.deepEqual(type('1', 10_002), [{ type: 'locked', untilMs: 70_001 }]);
    assert.deepEqual(type('42#', 70_002), [{ type: 'pin', pin: '42' }]);
  });
});
