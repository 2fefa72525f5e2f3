// Child process of `intercom audio list`: asks PortAudio for its devices and
// writes one JSON object to file descriptor 3. It runs apart from the command
// because ALSA and JACK print screenfuls of probing noise on stderr when no
// sound card is configured, naudiodon's native code may print on stdout, and a
// crash in native code must not take the command down with it.
import { writeSync } from 'node:fs';
import { listDevices } from '../audio/portaudio-backend.ts';

const RESULT_FD = 3;

try {
  // Silence the backend's own stderr logger; the parent reports failures in one line.
  const devices = await listDevices({ log: () => {} });
  writeSync(RESULT_FD, JSON.stringify({ devices }));
} catch (err) {
  writeSync(RESULT_FD, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
}
process.exit(0);
