import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNoneBackend } from '../../src/audio/none-backend.ts';

describe('none backend', () => {
  it('reads frames of silence of the codec frame size', async () => {
    const source = await createNoneBackend().openSource('', { sampleRate: 16000, frameSamples: 320 });
    const a = source.read();
    const b = source.read();
    assert.equal(a.length, 320);
    assert.ok(a.every((v) => v === 0));
    assert.notEqual(a, b, 'fresh frames: a caller may modify what it got');
    assert.deepEqual(source.stats(), { underruns: 0, overruns: 0, errors: 0 });
    await source.close();
  });

  it('accepts and discards whatever is written', async () => {
    const sink = await createNoneBackend().openSink('', { sampleRate: 8000, frameSamples: 160 });
    sink.write(new Int16Array(160).fill(1000));
    sink.write(new Int16Array(7));
    assert.deepEqual(sink.stats(), { underruns: 0, overruns: 0, errors: 0 });
    assert.match(sink.description, /none/);
    await sink.close();
  });

  it('still checks the format it is given', async () => {
    await assert.rejects(createNoneBackend().openSource('', { sampleRate: 8000, frameSamples: 0 }), /frame size 0/);
  });
});
