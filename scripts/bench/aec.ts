// CPU cost of the call's voice processing, per second of audio. Prints figures
// and asserts nothing: they depend on the machine and its load.
//
//   node --import tsx scripts/bench/aec.ts [--seconds 20]
//
// Each case runs `seconds` of a simulated door (speech-like far-end audio, its
// echo through a room response, room noise) frame by frame through the same
// processor the media loop uses, and reports the process CPU time (user +
// system) it took, per second of audio, and as a share of one core. Cases:
//   - speex echo canceller (300 ms tail, the default) + preprocessor (noise suppression, AGC)
//     at the codec rates 8 kHz and 16 kHz, and at 48 kHz directly;
//   - a 48 kHz sound card: capture resampled 48 -> 16 kHz (and -> 8 kHz),
//     processed at the codec rate, playback resampled back to 48 kHz: the
//     whole audio path of a call at the door apart from the codec and RTP;
//   - half-duplex ducking and gains only, for comparison.
import { createVoiceProcessing, type VoiceConfig } from '../../src/audio/dsp/processing.ts';
import { loadSpeexDsp } from '../../src/audio/dsp/speexdsp.ts';
import { Resampler } from '../../src/audio/resampler.ts';
import { convolve, mix, noiseSource, roomImpulse, speechLike, toPcm } from '../../test/support/echo-path.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: node --import tsx scripts/bench/aec.ts [--seconds N]   (default 20 s of audio per case)');
  process.exit(0);
}
const secondsArg = args.indexOf('--seconds');
const SECONDS = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 20;
if (!(SECONDS > 0)) {
  console.error('aec bench: --seconds needs a positive number');
  process.exit(2);
}

const quiet = { debug() {}, info() {}, warn() {} };
const base: VoiceConfig = {
  echo_cancellation: 'speex',
  echo_tail_ms: 300,
  noise_suppression: true,
  agc: true,
  mic_gain_db: 0,
  speaker_gain_db: 0,
  half_duplex: { attenuation_db: 30, threshold_dbfs: -40, hang_ms: 300 },
};

/** Far-end audio and the microphone hearing its echo, at `rate`. */
function door(rate: number): { far: Int16Array; near: Int16Array } {
  const far = speechLike({ rate, seconds: SECONDS, level: 0.3, seed: 11 });
  const echo = convolve(far, roomImpulse({ rate, delayMs: 25, gain: 0.5, decayMs: 15, lengthMs: 60 }));
  const rnd = noiseSource(5);
  return { far: toPcm(far), near: toPcm(mix(echo, new Float64Array(far.length).map(() => rnd() * 30))) };
}

/** CPU ms spent by `work`. */
function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function report(label: string, ms: number): void {
  const perSecond = ms / SECONDS;
  console.log(`  ${label.padEnd(58)} ${perSecond.toFixed(2).padStart(7)} ms CPU per s of audio  (${(perSecond / 10).toFixed(2)} % of one core)`);
}

/** Processing at the codec rate, devices already at that rate. */
function atRate(label: string, cfg: VoiceConfig, rate: number): void {
  const { far, near } = door(rate);
  const frame = rate / 50;
  const p = createVoiceProcessing(cfg, quiet).create({ sampleRate: rate, frameSamples: frame });
  const ms = cpuMs(() => {
    for (let i = 0; i + frame <= far.length; i += frame) p.process(near.subarray(i, i + frame), far.subarray(i, i + frame));
  });
  p.close();
  report(label, ms);
}

/** A 48 kHz card: resample capture down, process at the codec rate, resample playback up. */
function viaCard(label: string, cfg: VoiceConfig, codecRate: number): void {
  const card = 48000;
  const { far, near } = door(card);
  const cardFrame = card / 50;
  const frame = codecRate / 50;
  const p = createVoiceProcessing(cfg, quiet).create({ sampleRate: codecRate, frameSamples: frame });
  const down = new Resampler(card, codecRate);
  const farDown = new Resampler(card, codecRate);
  const up = new Resampler(codecRate, card);
  // The far end arrives at the codec rate: prepare it outside the measurement.
  const farCodec = farDown.process(far);
  let pending = new Int16Array(0);
  let f = 0;
  const ms = cpuMs(() => {
    for (let i = 0; i + cardFrame <= near.length; i += cardFrame) {
      const got = down.process(near.subarray(i, i + cardFrame));
      const joined = new Int16Array(pending.length + got.length);
      joined.set(pending);
      joined.set(got, pending.length);
      pending = joined;
      while (pending.length >= frame && (f + 1) * frame <= farCodec.length) {
        const r = p.process(pending.subarray(0, frame), farCodec.subarray(f * frame, (f + 1) * frame));
        up.process(r.play);
        pending = pending.slice(frame);
        f++;
      }
    }
  });
  p.close();
  report(label, ms);
}

const lib = loadSpeexDsp();
console.log(`Voice processing CPU, ${SECONDS} s of audio per case, ${process.arch}, Node ${process.version}`);
if (!lib.ok) {
  console.log(`  SpeexDSP unavailable: ${lib.reason}`);
} else {
  console.log(`  library: ${lib.dsp.library}`);
  atRate('speex AEC 300 ms + NS + AGC, 8 kHz', base, 8000);
  atRate('speex AEC 300 ms + NS + AGC, 16 kHz', base, 16000);
  atRate('speex AEC 300 ms + NS + AGC, 48 kHz (no resampling)', base, 48000);
  viaCard('48 kHz card <-> 16 kHz: resampling + speex AEC + NS + AGC', base, 16000);
  viaCard('48 kHz card <-> 8 kHz: resampling + speex AEC + NS + AGC', base, 8000);
  viaCard('48 kHz card <-> 16 kHz: resampling only (echo off, NS off)', { ...base, echo_cancellation: 'off', noise_suppression: false, agc: false }, 16000);
}
atRate('half-duplex ducking + 6 dB gains, 16 kHz', { ...base, echo_cancellation: 'half-duplex', noise_suppression: false, agc: false, mic_gain_db: 6, speaker_gain_db: -6 }, 16000);
