import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabel, formatMatches, resolveFormats, staticPayloadType } from '../../src/sdp/payload-types.ts';

describe('staticPayloadType', () => {
  it('knows the RFC 3551 audio assignments, case-insensitively', () => {
    assert.deepEqual(staticPayloadType('pcmu'), { payloadType: 0, name: 'PCMU', clockRate: 8000 });
    assert.equal(staticPayloadType('PCMA')?.payloadType, 8);
    assert.deepEqual(staticPayloadType('G722'), { payloadType: 9, name: 'G722', clockRate: 8000 });
    assert.equal(staticPayloadType('L16')?.payloadType, 11);
    assert.equal(staticPayloadType('DVI4')?.clockRate, 8000);
    assert.equal(staticPayloadType('opus'), undefined);
  });
});

describe('resolveFormats', () => {
  it('keeps m= order, resolves static types without rtpmap, dedupes, first rtpmap wins', () => {
    const f = resolveFormats('0 101 18 101 96 8', [
      { payload: 101, codec: 'telephone-event', rate: 8000 },
      { payload: 101, codec: 'G726-24', rate: 8000 },
      { payload: 0, codec: 'PCMU', rate: 8000, encoding: 1 },
    ]);
    assert.deepEqual(
      f.map((x) => [x.payloadType, formatLabel(x), x.clockRate, x.channels]),
      [
        [0, 'PCMU', 8000, 1],
        [101, 'telephone-event', 8000, undefined],
        [18, 'G729', 8000, undefined],
        [96, 'PT 96', 0, undefined],
        [8, 'PCMA', 8000, undefined],
      ],
    );
  });

  it('accepts the number sdp-transform gives for a one-format list, and skips junk tokens', () => {
    assert.deepEqual(resolveFormats(0, []).map((x) => x.name), ['PCMU']);
    assert.deepEqual(resolveFormats(' 8  x 300 -1 0 ', []).map((x) => x.payloadType), [8, 0]);
    assert.deepEqual(resolveFormats(undefined, []), []);
  });

  it('keeps malformed rtpmap rates from matching', () => {
    const [f] = resolveFormats('0', [{ payload: 0, codec: 'PCMU', rate: '' }]);
    assert.ok(f);
    assert.equal(formatMatches(f, 'PCMU'), false);
  });
});
