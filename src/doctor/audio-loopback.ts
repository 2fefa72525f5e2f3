// Doctor check `audio-loopback`: a 1 kHz tone played on the door's speaker and
// listened for on its microphone. The running station holds the sound devices
// (PortAudio cannot open them twice), so it is asked to do the test over the
// control socket; with no station running the doctor opens the devices itself.
import type { AudioSink, AudioSource } from '../audio/device.ts';
import { oneLine } from '../audio/errors.ts';
import { openAudioSink, openAudioSource } from '../audio/registry.ts';
import type { Config } from '../config/schema.ts';
import { ControlClientError, sendControl } from '../control/client.ts';
import { captureFrames, heardLevelDbfs, testFrames, testToneSound, type AudioTestResult } from '../intercom/audio-test.ts';
import { STATION_AUDIO_FORMAT } from '../intercom/station-api.ts';
import { finding, type Finding } from './finding.ts';

const CHECK = 'audio-loopback';
/** A 1 kHz component above this in the capture is the tone, not room noise or bleed. */
export const HEARD_THRESHOLD_DBFS = -50;
const PTIME_MS = 20;
/** The station needs about a second for the test; this leaves room for a busy board. */
const STATION_TIMEOUT_MS = 8000;

/** The verdict on a test that ran; `where` says who ran it ("the running station", "doctor"). */
export function loopbackFinding(result: AudioTestResult, where: string): Finding {
  if (!result.played) return finding(CHECK, 'warn', `${where} did not play the test tone`, 'check audio.output');
  if (result.heard_dbfs > HEARD_THRESHOLD_DBFS) {
    return finding(CHECK, 'ok', `speaker and microphone work: test tone heard at ${result.heard_dbfs} dBFS (${where})`);
  }
  return finding(
    CHECK,
    'warn',
    `played a test tone but the microphone did not pick it up (1 kHz at ${result.heard_dbfs} dBFS, ${where})`,
    'check the speaker volume, the microphone and audio.input/audio.output',
  );
}

/** Plays the tone on `sink` on the doctor's own 20 ms clock while reading as many frames from `source`. */
export async function runLoopback(source: AudioSource, sink: AudioSink): Promise<AudioTestResult> {
  const fmt = STATION_AUDIO_FORMAT;
  const tone = testToneSound(fmt);
  const frames = testFrames(PTIME_MS);
  const captured = await captureFrames(source, frames, PTIME_MS, () => sink.write(tone.next(fmt.frameSamples) ?? new Int16Array(fmt.frameSamples)));
  return { played: true, heard_dbfs: heardLevelDbfs(captured, fmt.sampleRate), frames };
}

/** Opens audio.input/audio.output at the station's format, runs the test, closes them; fails with the one-line open error. */
async function testLocally(config: Config): Promise<Finding> {
  let sink: AudioSink | undefined;
  let source: AudioSource | undefined;
  try {
    sink = await openAudioSink(config.audio.output, STATION_AUDIO_FORMAT);
    source = await openAudioSource(config.audio.input, STATION_AUDIO_FORMAT);
    return loopbackFinding(await runLoopback(source, sink), 'doctor');
  } catch (err) {
    return finding(CHECK, 'fail', oneLine(err), 'see the audio.input/audio.output checks; `intercom audio list` names the devices');
  } finally {
    await Promise.allSettled([source?.close(), sink?.close()]);
  }
}

/** The test through the running station, or by the doctor itself when no station answers. */
export async function checkAudioLoopback(config: Config, socket = config.control.socket): Promise<Finding> {
  if (config.audio.output.trim().toLowerCase() === 'none') return finding(CHECK, 'skip', 'audio.output is none: no speaker to play a test tone on');
  if (config.audio.input.trim().toLowerCase() === 'none') return finding(CHECK, 'skip', 'audio.input is none: no microphone to hear a test tone');
  try {
    const response = await sendControl(socket, { cmd: 'audio-test' }, STATION_TIMEOUT_MS);
    if (!response.ok) return finding(CHECK, 'skip', `the running station did not test: ${response.error}`, 'run intercom doctor again between calls');
    if (!('audioTest' in response)) return finding(CHECK, 'skip', 'the running station does not do audio tests (an older version?)');
    return loopbackFinding(response.audioTest, 'the running station');
  } catch (err) {
    if (err instanceof ControlClientError && err.notRunning) return testLocally(config);
    // Something answers on the socket but not properly: it may hold the devices, so they are left alone.
    return finding(CHECK, 'skip', `cannot ask the running station: ${oneLine(err)}`, 'see the registration check');
  }
}
