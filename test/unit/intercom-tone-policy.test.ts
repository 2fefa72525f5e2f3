import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Door, type DoorEvent, type DoorSettings } from '../../src/intercom/door.ts';
import { toneCommands, type ToneCommand } from '../../src/intercom/tone-policy.ts';

const settings: DoorSettings = {
  buttons: [{ name: 'bell', targets: ['sip:101@pbx', 'sip:102@pbx'] }],
  ringTimeoutMs: 30_000,
  maxDurationMs: 60_000,
  openMs: 3000,
  codes: ['7394'],
  warnBeforeEndMs: 10_000,
};

/** Feeds events to a real door and collects the sound commands each one yields. */
function drive(events: DoorEvent[]): ToneCommand[][] {
  const d = new Door(settings);
  return events.map((ev, i) => {
    const before = d.snapshot();
    const actions = d.handle(ev, i * 1000);
    return toneCommands(before, ev, actions, d.snapshot());
  });
}

describe('tone policy', () => {
  it('ringback starts with the first ringing phone and stops when one answers', () => {
    const cmds = drive([
      { type: 'press' },
      { type: 'leg-ringing', leg: 1 },
      { type: 'leg-ringing', leg: 2 },
      { type: 'leg-answered', leg: 2 },
    ]);
    assert.deepEqual(cmds, [[], [{ type: 'play', cue: 'ringback' }], [], [{ type: 'stop' }]]);
  });

  it('486 Busy on the last leg gives the busy signal; other failures and no answer give "unavailable"', () => {
    const busy = drive([
      { type: 'press' },
      { type: 'leg-ended', leg: 1, reason: 'busy', status: 486, by: 'remote' },
      { type: 'leg-ended', leg: 2, reason: 'busy', status: 486, by: 'remote' },
    ]);
    assert.deepEqual(busy.at(-1), [{ type: 'stop' }, { type: 'play', cue: 'busy' }]);
    assert.deepEqual(busy[1], [], 'one leg failing while another still rings says nothing');
    const offline = drive([{ type: 'press' }, { type: 'leg-ended', leg: 1, reason: 'x', status: 480, by: 'remote' }, { type: 'leg-ended', leg: 2, reason: 'timeout', by: 'network' }]);
    assert.deepEqual(offline.at(-1), [{ type: 'stop' }, { type: 'play', cue: 'unavailable' }]);
    const noAnswer = drive([{ type: 'press' }, { type: 'leg-ringing', leg: 1 }, { type: 'timer', name: 'ring' }]);
    assert.deepEqual(noAnswer.at(-1), [{ type: 'stop' }, { type: 'play', cue: 'unavailable' }]);
  });

  it('a hangup at the door only stops the ringback', () => {
    const cmds = drive([{ type: 'press' }, { type: 'leg-ringing', leg: 1 }, { type: 'hangup' }]);
    assert.deepEqual(cmds.at(-1), [{ type: 'stop' }]);
  });

  it('opening the door confirms (by code or command, in a call or not); the warning timer warns', () => {
    const cmds = drive([
      { type: 'open', by: 'command' },
      { type: 'press' },
      { type: 'leg-answered', leg: 1 },
      { type: 'dtmf', digit: '7' },
      { type: 'dtmf', digit: '3' },
      { type: 'dtmf', digit: '9' },
      { type: 'dtmf', digit: '4' },
      { type: 'timer', name: 'warning' },
      { type: 'leg-ended', leg: 1, reason: 'bye', by: 'remote' },
    ]);
    assert.deepEqual(cmds[0], [{ type: 'play', cue: 'confirm' }]);
    assert.deepEqual(cmds[6], [{ type: 'play', cue: 'confirm' }]);
    assert.deepEqual(cmds[7], [{ type: 'play', cue: 'warning' }]);
    assert.deepEqual(cmds[8], [], 'a finished call leaves a playing sound alone');
  });
});
