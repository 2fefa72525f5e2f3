// Which sound the door plays, decided from what the door just did: ringback on
// the door's own speaker while a phone rings, a busy or "nobody there" signal
// when a call fails, a confirmation when the door opens, a warning before the
// maximum call duration. Pure: the door's state before and after an event in,
// cues out; playing them is the tone player's job.
import type { DoorAction, DoorEvent, DoorSnapshot } from './door.ts';

/** The occasions a sound is played for; each has a tone and may have a recorded prompt instead. */
export type ToneCue = 'ringback' | 'busy' | 'unavailable' | 'confirm' | 'warning';

/** Every cue, in the order config and docs list them. */
export const TONE_CUES: readonly ToneCue[] = ['ringback', 'busy', 'unavailable', 'confirm', 'warning'];

/** Play the sound of a cue (replacing whatever plays), or stop what plays. */
export type ToneCommand = { type: 'play'; cue: ToneCue } | { type: 'stop' };

/** SIP answers that mean "the callee is there but will not take it" (RFC 3261 486, 600, 603). */
const BUSY_STATUSES = new Set([486, 600, 603]);

/** Sound commands for one door event, given the door's snapshot before and after it and the actions it produced. */
export function toneCommands(before: DoorSnapshot, ev: DoorEvent, actions: readonly DoorAction[], after: DoorSnapshot): ToneCommand[] {
  const out: ToneCommand[] = [];
  const was = before.call?.state;
  const now = after.call?.state;
  const wasRinging = was === 'calling' || was === 'ringing';
  if (wasRinging && now === 'active') out.push({ type: 'stop' });
  if (was !== 'ringing' && now === 'ringing') out.push({ type: 'play', cue: 'ringback' });
  if (wasRinging && now === undefined) {
    // A call given up at the door (hangup, station stopping) needs no explanation to the visitor.
    out.push({ type: 'stop' });
    const failure = failureCue(ev);
    if (failure) out.push({ type: 'play', cue: failure });
  }
  if (actions.some((a) => a.type === 'warn-ending')) out.push({ type: 'play', cue: 'warning' });
  if (after.door.opened > before.door.opened) out.push({ type: 'play', cue: 'confirm' });
  return out;
}

function failureCue(ev: DoorEvent): ToneCue | undefined {
  if (ev.type === 'timer') return 'unavailable';
  if (ev.type !== 'leg-ended') return undefined;
  return ev.status !== undefined && BUSY_STATUSES.has(ev.status) ? 'busy' : 'unavailable';
}
