// An ALSA configuration that lets PortAudio run with no sound card: the default PCM
// is an `asym` whose playback side writes raw samples to a file and whose capture
// side reads raw samples from a file, each over a `null` slave. Neither side is paced
// by a clock: capture delivers the whole infile (then silence) as fast as it is read,
// and playback takes whatever is written at once. Point ALSA_CONFIG_PATH at the file
// before PortAudio initialises (i.e. in a child process).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `asound.conf` into `dir`: playback lands raw in `playbackFile`, capture reads raw s16le mono from `captureFile`. */
export function writeAlsaNullConfig(dir: string, playbackFile: string, captureFile: string): string {
  const path = join(dir, 'asound.conf');
  const text = `# generated for the PortAudio tests: no sound card needed
pcm.!default {
  type asym
  playback.pcm {
    type file
    slave.pcm "intercom_null_playback"
    file ${JSON.stringify(playbackFile)}
    format "raw"
  }
  capture.pcm {
    type file
    slave.pcm "intercom_null_capture"
    file "/dev/null"
    infile ${JSON.stringify(captureFile)}
    format "raw"
  }
}
pcm.intercom_null_playback { type null }
pcm.intercom_null_capture { type null }
`;
  writeFileSync(path, text);
  return path;
}
