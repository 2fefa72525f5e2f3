// A StationControl that stands in while the station is still starting, so the
// control socket can be claimed first (refusing a second instance before it
// registers and rings anything) and answer sensibly in the meantime.
import type { CommandResult, StationControl, StationStatus } from '../intercom/station-api.ts';

const NOT_READY: CommandResult = { ok: false, error: 'the station is still starting' };

/** Delegates to `current()` once it returns a station; until then reports "starting". */
export function deferredControl(current: () => StationControl | undefined): StationControl {
  return {
    status(): StationStatus {
      return (
        current()?.status() ?? {
          registered: false,
          registration: { state: 'starting' },
          call: null,
          door: { open: false, opened: 0 },
        }
      );
    },
    press: (button) => current()?.press(button) ?? NOT_READY,
    hangup: () => current()?.hangup() ?? NOT_READY,
    open: (by) => current()?.open(by) ?? NOT_READY,
    setIncoming: (enabled) => current()?.setIncoming?.(enabled) ?? NOT_READY,
    reload: async () => (await current()?.reload?.()) ?? NOT_READY,
    audioTest: async () => (await current()?.audioTest?.()) ?? { ok: false, error: 'the station is still starting' },
  };
}
