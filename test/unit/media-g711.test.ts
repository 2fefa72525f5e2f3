import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../src/media/g711.ts';

const G711 = '../shared/peer/g711';

function tsvRows(path: string): string[][] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  return lines.slice(1).map((l) => l.split('\t'));
}

/** Low bytes of a little-endian 16-bit word file (the G.191 coded vectors). */
function lowBytes(path: string): Buffer {
  const words = readFileSync(path);
  const out = Buffer.alloc(words.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = words[i * 2] as number;
  return out;
}

function int16le(path: string): Int16Array {
  const b = readFileSync(path);
  const out = new Int16Array(b.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(i * 2);
  return out;
}

describe('G.711 decode', () => {
  it('matches decode.tsv for all 256 codes of both laws', () => {
    const rows = tsvRows(`${G711}/decode.tsv`);
    assert.equal(rows.length, 256);
    const codes = Buffer.from(rows.map((r) => Number(r[0])));
    const u = decodeUlaw(codes);
    const a = decodeAlaw(codes);
    rows.forEach((r, i) => {
      assert.equal(u[i], Number(r[2]), `µ-law code ${r[1]}`);
      assert.equal(a[i], Number(r[3]), `A-law code ${r[1]}`);
    });
  });
});

describe('G.711 encode', () => {
  const rows = tsvRows(`${G711}/encode_all.tsv`);
  const linear = Int16Array.from(rows.map((r) => Number(r[0])));

  it('covers every 16-bit input', () => {
    assert.equal(rows.length, 65536);
  });

  it('µ-law matches the G.191 column on every input', () => {
    const out = encodeUlaw(linear);
    let mismatches = 0;
    rows.forEach((r, i) => {
      if (out[i] !== Number(r[1])) mismatches++;
    });
    assert.equal(mismatches, 0);
  });

  it('µ-law differs from the Sun variant only on the 508 documented negative inputs', () => {
    const out = encodeUlaw(linear);
    let differ = 0;
    rows.forEach((r, i) => {
      if (out[i] !== Number(r[2])) {
        differ++;
        assert.ok(Number(r[0]) < 0);
      }
    });
    assert.equal(differ, 508);
  });

  it('A-law matches on every input', () => {
    const out = encodeAlaw(linear);
    let mismatches = 0;
    rows.forEach((r, i) => {
      if (out[i] !== Number(r[3])) mismatches++;
    });
    assert.equal(mismatches, 0);
  });
});

describe('G.711 against the ITU-T G.191 STL sweep vectors', () => {
  const sweep = int16le(`${G711}/itu-t-g191-stl/sweep.src`);

  it('encodes sweep.src to sweep-r.u and sweep-r.a', () => {
    assert.equal(sweep.length, 65536);
    assert.ok(encodeUlaw(sweep).equals(lowBytes(`${G711}/itu-t-g191-stl/sweep-r.u`)));
    assert.ok(encodeAlaw(sweep).equals(lowBytes(`${G711}/itu-t-g191-stl/sweep-r.a`)));
  });

  it('decodes the coded files to sweep-r.reu and sweep-r.rea', () => {
    const u = decodeUlaw(lowBytes(`${G711}/itu-t-g191-stl/sweep-r.u`));
    const a = decodeAlaw(lowBytes(`${G711}/itu-t-g191-stl/sweep-r.a`));
    assert.deepEqual(u, int16le(`${G711}/itu-t-g191-stl/sweep-r.reu`));
    assert.deepEqual(a, int16le(`${G711}/itu-t-g191-stl/sweep-r.rea`));
  });

  it('is idempotent: decode then encode returns the same code', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const u = encodeUlaw(decodeUlaw(all));
    const a = encodeAlaw(decodeAlaw(all));
    for (let c = 0; c < 256; c++) {
      // 0x7F and 0xFF both decode to 0, which encodes as +0 (0xFF).
      if (c !== 0x7f) assert.equal(u[c], c, `µ-law ${c}`);
      assert.equal(a[c], c, `A-law ${c}`);
    }
  });
});
