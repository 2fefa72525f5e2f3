// Choosing a PortAudio device from what the installer wrote in the config:
// `default`, an index from `intercom audio list`, an exact name, a unique
// case-insensitive part of a name, or an ALSA card address such as `hw:1,0` or
// `plughw:1` (PortAudio's ALSA names end in "(hw:CARD,DEVICE)").

import { AudioOpenError } from './errors.ts';

/** One audio device as PortAudio reports it. */
export interface AudioDeviceInfo {
  index: number;
  name: string;
  hostApi: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  /** The host API's default device for capture / playback. */
  defaultInput: boolean;
  defaultOutput: boolean;
}

export type AudioDirection = 'capture' | 'playback';

function usable(d: AudioDeviceInfo, direction: AudioDirection): boolean {
  return direction === 'capture' ? d.maxInputChannels > 0 : d.maxOutputChannels > 0;
}

/** Comma-separated quoted names (with index and rate) of the devices usable for `direction`. */
export function describeDevices(devices: readonly AudioDeviceInfo[], direction: AudioDirection): string {
  const list = devices.filter((d) => usable(d, direction));
  if (list.length === 0) return `no ${direction} devices at all (is a sound card present and ALSA configured?)`;
  return list.map((d) => `${d.index}: ${JSON.stringify(d.name)}`).join(', ');
}

/** `hw:1,0`, `plughw:1` and the like, as card and device numbers; undefined for anything else. */
function alsaAddress(q: string): { card: number; device: number | undefined } | undefined {
  const m = /^(?:plug)?hw:(\d+)(?:,(\d+))?$/i.exec(q);
  if (!m) return undefined;
  return { card: Number(m[1]), device: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Picks the device `query` names for `direction`; throws AudioOpenError listing the candidates otherwise. */
export function selectDevice(devices: readonly AudioDeviceInfo[], query: string, direction: AudioDirection): AudioDeviceInfo {
  const candidates = devices.filter((d) => usable(d, direction));
  const available = `available: ${describeDevices(devices, direction)}`;
  const q = query.trim();
  if (q === '') throw new AudioOpenError(`empty device name; ${available}`);

  if (q.toLowerCase() === 'default') {
    const flagged = candidates.find((d) => (direction === 'capture' ? d.defaultInput : d.defaultOutput));
    const named = candidates.find((d) => d.name === 'default');
    const chosen = flagged ?? named;
    if (!chosen) throw new AudioOpenError(`no default ${direction} device; ${available}`);
    return chosen;
  }

  if (/^\d+$/.test(q)) {
    const index = Number(q);
    const byIndex = devices.find((d) => d.index === index);
    if (!byIndex) throw new AudioOpenError(`no device with index ${index}; ${available}`);
    if (!usable(byIndex, direction)) throw new AudioOpenError(`device ${index} (${JSON.stringify(byIndex.name)}) has no ${direction} channels; ${available}`);
    return byIndex;
  }

  const exact = candidates.find((d) => d.name === q);
  if (exact) return exact;
  const alsa = alsaAddress(q);
  if (alsa) {
    // PortAudio opens ALSA devices through its own conversion, so hw and plughw both mean the card.
    const onCard = candidates.filter((d) => d.name.endsWith(`(hw:${alsa.card},${alsa.device ?? 0})`));
    const [first] = onCard;
    if (first && onCard.length === 1) return first;
    throw new AudioOpenError(`no ${direction} device on ALSA card ${alsa.card} device ${alsa.device ?? 0} (${JSON.stringify(q)}); ${available}`);
  }
  const needle = q.toLowerCase();
  const partial = candidates.filter((d) => d.name.toLowerCase().includes(needle));
  const [only] = partial;
  if (only && partial.length === 1) return only;
  if (partial.length > 1) {
    const names = partial.map((d) => `${d.index}: ${JSON.stringify(d.name)}`).join(', ');
    throw new AudioOpenError(`${JSON.stringify(q)} matches several ${direction} devices (${names}); give the full name or the index`);
  }
  throw new AudioOpenError(`no ${direction} device matches ${JSON.stringify(q)}; ${available}`);
}
