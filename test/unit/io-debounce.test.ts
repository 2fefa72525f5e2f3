import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer } from '../../src/io/debounce.ts';
import { ManualTimers } from '../../src/sip/clock.ts';

describe('debounce', () => {
  it('a bouncing press is one change, after the level has been stable for the debounce time', () => {
    const t = new ManualTimers();
    const changes: boolean[] = [];
    const d = new Debouncer(t, 50, false, (v) => changes.push(v));
    for (const level of [true, false, true, false, true]) {
      d.edge(level);
      t.advance(2);
    }
    t.advance(47);
    assert.deepEqual(changes, []);
    t.advance(1);
    assert.deepEqual(changes, [true]);
    for (const level of [false, true, false]) {
      d.edge(level);
      t.advance(3);
    }
    t.advance(100);
    assert.deepEqual(changes, [true, false]);
    assert.equal(t.size, 0);
  });

  it('a spike shorter than the debounce time changes nothing', () => {
    const t = new ManualTimers();
    const changes: boolean[] = [];
    const d = new Debouncer(t, 30, false, (v) => changes.push(v));
    d.edge(true);
    t.advance(5);
    d.edge(false);
    t.advance(100);
    assert.deepEqual(changes, []);
    assert.equal(d.value, false);
  });

  it('the level is sampled when it settles, so a lost edge event is not a stuck button', () => {
    const t = new ManualTimers();
    const changes: boolean[] = [];
    let line = true;
    const d = new Debouncer(t, 20, false, (v) => changes.push(v), () => line);
    d.edge(true);
    d.edge(false); // the release edge arrives, but the line is really still pressed
    t.advance(20);
    assert.deepEqual(changes, [true]);
    line = false;
    d.edge(false);
    t.advance(20);
    assert.deepEqual(changes, [true, false]);
  });
});
