// SpeexDSP (Debian package libspeexdsp1) called through koffi, a prebuilt FFI, so
// no compiler is needed on the door. Only the echo canceller and the
// preprocessor (noise suppression, AGC, residual echo suppression) are used.
//
// The library is loaded on first use, never at import: a station without it
// must still start and fall back (see processing.ts). Native states are
// counted so a test can prove every call gives back what it took.
import { createRequire } from 'node:module';

/** Library file names tried in order: the run-time package ships only the versioned name. */
export const SPEEXDSP_LIBRARY_NAMES: readonly string[] = ['libspeexdsp.so.1', 'libspeexdsp.so'];

// Request numbers from speex_echo.h / speex_preprocess.h (stable public ABI).
const SPEEX_ECHO_SET_SAMPLING_RATE = 24;
const SPEEX_PREPROCESS_SET_DENOISE = 0;
const SPEEX_PREPROCESS_SET_AGC = 2;
const SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18;
const SPEEX_PREPROCESS_SET_ECHO_STATE = 24;

/** What the preprocessor does besides residual echo suppression. */
export interface PreprocessOptions {
  denoise: boolean;
  agc: boolean;
  /** Strongest noise attenuation in dB (a negative number, speex default -15). */
  noiseSuppressDb?: number;
}

/** An echo canceller for one call: mic frame + the frame played at the same time -> mic without echo. */
export interface SpeexEchoCanceller {
  readonly frameSamples: number;
  /** Writes `near` with the echo of `far` removed into `out` (all frameSamples long). */
  cancel(near: Int16Array, far: Int16Array, out: Int16Array): void;
  /** Frees the native state; later calls copy `near` through unchanged. Idempotent. */
  destroy(): void;
}

/** A preprocessor for one call, processing frames in place. */
export interface SpeexPreprocessor {
  readonly frameSamples: number;
  /** Processes one frame in place; returns speex's voice-activity guess. */
  run(frame: Int16Array): boolean;
  /** Frees the native state; later runs leave the frame unchanged. Idempotent. */
  destroy(): void;
}

/** The loaded library. */
export interface SpeexDsp {
  /** The file that was loaded. */
  readonly library: string;
  /** A canceller for frames of `frameSamples` at `sampleRate` with an adaptive filter of `tailSamples`. */
  createEchoCanceller(frameSamples: number, tailSamples: number, sampleRate: number): SpeexEchoCanceller;
  /**
   * A preprocessor; with `echo`, it also suppresses what that canceller left over.
   * Destroying the canceller unlinks it first, so the order of destroy() calls does not matter.
   */
  createPreprocessor(frameSamples: number, sampleRate: number, opts: PreprocessOptions, echo?: SpeexEchoCanceller): SpeexPreprocessor;
  /** Native states created and not yet destroyed. */
  liveStates(): number;
}

/** Outcome of loading: the library, or one line saying why not. */
export type SpeexLoad = { ok: true; dsp: SpeexDsp } | { ok: false; reason: string };

type NativeFn = (...args: unknown[]) => unknown;

interface KoffiLike {
  load(path: string): { func(prototype: string): NativeFn };
  opaque(name: string): unknown;
}

const cache = new Map<string, SpeexLoad>();

/** Loads libspeexdsp once per list of names; never throws. */
export function loadSpeexDsp(names: readonly string[] = SPEEXDSP_LIBRARY_NAMES): SpeexLoad {
  const key = names.join('\0');
  let r = cache.get(key);
  if (!r) {
    r = tryLoad(names);
    cache.set(key, r);
  }
  return r;
}

function tryLoad(names: readonly string[]): SpeexLoad {
  let koffi: KoffiLike;
  try {
    koffi = createRequire(import.meta.url)('koffi') as KoffiLike;
  } catch (e) {
    return { ok: false, reason: `koffi (FFI) cannot be loaded: ${firstLine(e)}` };
  }
  const errors: string[] = [];
  for (const name of names) {
    try {
      return { ok: true, dsp: bind(koffi, name) };
    } catch (e) {
      errors.push(`${name}: ${firstLine(e)}`);
    }
  }
  return { ok: false, reason: `libspeexdsp cannot be loaded (install the libspeexdsp1 package): ${errors[0] ?? 'no library name given'}` };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}

let opaqueDeclared = false;

function bind(koffi: KoffiLike, name: string): SpeexDsp {
  const lib = koffi.load(name);
  if (!opaqueDeclared) {
    // koffi type names are global to the process: declare them once.
    koffi.opaque('SpeexEchoState');
    koffi.opaque('SpeexPreprocessState');
    opaqueDeclared = true;
  }
  const echoInit = lib.func('SpeexEchoState *speex_echo_state_init(int frame_size, int filter_length)');
  const echoDestroy = lib.func('void speex_echo_state_destroy(SpeexEchoState *st)');
  const echoCancel = lib.func(
    'void speex_echo_cancellation(SpeexEchoState *st, const int16_t *rec, const int16_t *play, _Out_ int16_t *out)',
  );
  // `void *` takes both an Int32Array (int requests) and a state pointer (SET_ECHO_STATE).
  const echoCtl = lib.func('int speex_echo_ctl(SpeexEchoState *st, int request, void *ptr)');
  const preInit = lib.func('SpeexPreprocessState *speex_preprocess_state_init(int frame_size, int sampling_rate)');
  const preDestroy = lib.func('void speex_preprocess_state_destroy(SpeexPreprocessState *st)');
  const preRun = lib.func('int speex_preprocess_run(SpeexPreprocessState *st, _Inout_ int16_t *x)');
  const preCtl = lib.func('int speex_preprocess_ctl(SpeexPreprocessState *st, int request, void *ptr)');

  let live = 0;
  // The native pointer behind each canceller, and the preprocessors reading it: speex keeps a
  // bare pointer, so they are unlinked before the canceller is freed.
  const handles = new WeakMap<SpeexEchoCanceller, { ptr: () => unknown; linked: Set<() => void> }>();

  const intCtl = (fn: NativeFn, st: unknown, request: number, value: number, what: string): void => {
    if (fn(st, request, new Int32Array([value])) !== 0) throw new Error(`speexdsp: ${what} ${value} refused`);
  };

  return {
    library: name,
    liveStates: () => live,
    createEchoCanceller(frameSamples, tailSamples, sampleRate) {
      checkFrame(frameSamples, sampleRate);
      if (!Number.isInteger(tailSamples) || tailSamples < frameSamples) {
        throw new RangeError(`speexdsp: echo tail of ${tailSamples} samples is shorter than a frame`);
      }
      let st: unknown = echoInit(frameSamples, tailSamples);
      if (st === null) throw new Error('speexdsp: speex_echo_state_init failed');
      live++;
      try {
        intCtl(echoCtl, st, SPEEX_ECHO_SET_SAMPLING_RATE, sampleRate, 'sampling rate');
      } catch (e) {
        echoDestroy(st);
        live--;
        throw e;
      }
      const linked = new Set<() => void>();
      const canceller: SpeexEchoCanceller = {
        frameSamples,
        cancel(near, far, out) {
          if (near.length !== frameSamples || far.length !== frameSamples || out.length !== frameSamples) {
            throw new RangeError(`speexdsp: echo canceller frames must be ${frameSamples} samples`);
          }
          if (st === null) out.set(near);
          else echoCancel(st, near, far, out);
        },
        destroy() {
          if (st === null) return;
          for (const unlink of linked) unlink();
          linked.clear();
          echoDestroy(st);
          st = null;
          live--;
        },
      };
      handles.set(canceller, { ptr: () => st, linked });
      return canceller;
    },
    createPreprocessor(frameSamples, sampleRate, opts, echo) {
      checkFrame(frameSamples, sampleRate);
      let st: unknown = preInit(frameSamples, sampleRate);
      if (st === null) throw new Error('speexdsp: speex_preprocess_state_init failed');
      live++;
      const echoHandle = echo ? handles.get(echo) : undefined;
      const unlink = (): void => {
        if (st !== null) preCtl(st, SPEEX_PREPROCESS_SET_ECHO_STATE, null);
      };
      try {
        intCtl(preCtl, st, SPEEX_PREPROCESS_SET_DENOISE, opts.denoise ? 1 : 0, 'denoise');
        if (opts.noiseSuppressDb !== undefined) intCtl(preCtl, st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, opts.noiseSuppressDb, 'noise suppression dB');
        intCtl(preCtl, st, SPEEX_PREPROCESS_SET_AGC, opts.agc ? 1 : 0, 'agc');
        if (echo) {
          const echoSt = echoHandle?.ptr();
          if (echoSt === undefined || echoSt === null) throw new Error('speexdsp: the echo canceller is not live');
          if (preCtl(st, SPEEX_PREPROCESS_SET_ECHO_STATE, echoSt) !== 0) throw new Error('speexdsp: linking the echo state refused');
          echoHandle?.linked.add(unlink);
        }
      } catch (e) {
        preDestroy(st);
        live--;
        throw e;
      }
      return {
        frameSamples,
        run(frame) {
          if (frame.length !== frameSamples) throw new RangeError(`speexdsp: preprocessor frames must be ${frameSamples} samples`);
          if (st === null) return false;
          return preRun(st, frame) !== 0;
        },
        destroy() {
          if (st === null) return;
          echoHandle?.linked.delete(unlink);
          preDestroy(st);
          st = null;
          live--;
        },
      };
    },
  };
}

function checkFrame(frameSamples: number, sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48000) {
    throw new RangeError(`speexdsp: sample rate ${sampleRate} is outside 8000..48000`);
  }
  if (!Number.isInteger(frameSamples) || frameSamples < 1 || frameSamples > sampleRate) {
    throw new RangeError(`speexdsp: frame of ${frameSamples} samples is not usable at ${sampleRate} Hz`);
  }
}
