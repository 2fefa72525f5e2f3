// The one-line state systemd shows after "Status:" in `systemctl status intercom`.
import type { StationStatus } from '../intercom/station-api.ts';

/** Registration first (what an installer checks), then the call if there is one. */
export function serviceStatusLine(s: StationStatus): string {
  const reg = s.registration;
  let text: string;
  if (s.registered) text = 'registered';
  else if (reg.lastError) text = `not registered (${reg.state}: ${reg.lastError})`;
  else text = `not registered (${reg.state})`;
  if (s.call) text += `; call ${s.call.state} with ${s.call.peer}`;
  return text;
}
