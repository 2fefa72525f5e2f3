// Our G.722 against an independent implementation: libspandsp, the library
// baresip's g722 module is built on (Debian libspandsp2, a dependency of
// baresip-core), called through FFI on the same signals.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import koffi from 'koffi';
import { G722Decoder, G722Encoder } from '../../src/media/g722.ts';

const lib = koffi.load('libspandsp.so.2');
// spandsp allocates the state itself when given NULL; 64000 = mode 1, options 0 = 16 kHz linear PCM.
const encodeInit = lib.func('void *g722_encode_init(void *s, int rate, int options)');
const encode = lib.func('int g722_encode(void *s, _Out_ uint8_t *out, const int16_t *amp, int len)');
const encodeFree = lib.func('int g722_encode_free(void *s)');
const decodeInit = lib.func('void *g722_decode_init(void *s, int rate, int options)');
const decode = lib.func('int g722_decode(void *s, _Out_ int16_t *amp, const uint8_t *data, int len)');
const decodeFree = lib.func('int g722_decode_free(void *s)');

function spandspEncode(pcm: Int16Array): Uint8Array {
  const s: unknown = encodeInit(null, 64000, 0);
  const out = new Uint8Array(pcm.length / 2);
  const n = encode(s, out, pcm, pcm.length) as number;
  encodeFree(s);
  return out.subarray(0, n);
}

function spandspDecode(data: Uint8Array): Int16Array {
  const s: unknown = decodeInit(null, 64000, 0);
  const out = new Int16Array(data.length * 2);
  const n = decode(s, out, data, data.length) as number;
  decodeFree(s);
  return out.subarray(0, n);
}

/** Speech-like test signal: two tones, noise, a loud passage that reaches full scale. */
function testSignal(samples: number): Int16Array {
  const x = new Int16Array(samples);
  let seed = 1;
  for (let i = 0; i < samples; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const noise = ((seed >>> 16) - 32768) * 0.3;
    const loud = i > (samples * 2) / 3 ? 20000 * Math.sin(i * 1.1) : 0;
    const v = 8000 * Math.sin(i * 0.3) + 6000 * Math.sin(i * 2.5) + noise + loud;
    x[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return x;
}

describe('G.722 against libspandsp', () => {
  it('encodes bit-exactly the same octets', () => {
    const x = testSignal(48000);
    const ours = new G722Encoder().encode(x);
    const theirs = spandspEncode(x);
    assert.equal(theirs.length, ours.length);
    let differing = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
    assert.equal(differing, 0, `${differing} of ${ours.length} octets differ`);
  });

  it('decodes to the same samples, except where spandsp wraps around past full scale and we clip', () => {
    let seed = 99;
    const noise = new Uint8Array(8000);
    for (let i = 0; i < noise.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    for (const [what, data] of [
      ['an encoded signal', spandspEncode(testSignal(48000))],
      ['random octets', noise],
    ] as const) {
      const ours = new G722Decoder().decode(data);
      const theirs = spandspDecode(data);
      assert.equal(theirs.length, ours.length);
      let same = 0;
      for (let i = 0; i < ours.length; i++) {
        const a = ours[i] as number;
        const b = theirs[i] as number;
        if (a === b) {
          same++;
          continue;
        }
        // libspandsp 0.0.6 casts the synthesis output to 16 bits without saturating.
        assert.ok(a === 32767 || a === -32768, `${what}, sample ${i}: ours ${a}, spandsp ${b}`);
        assert.ok(Math.sign(a) !== Math.sign(b), `${what}, sample ${i}: ours ${a}, spandsp ${b}`);
      }
      assert.ok(same > ours.length * 0.99, `${what}: only ${same} of ${ours.length} samples equal`);
    }
  });
});
