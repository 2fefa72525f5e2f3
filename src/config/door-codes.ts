// Which door codes are too easy to guess. Anyone standing at the door can try
// the codes people try first; `intercom check` refuses these unless the
// installer says they are meant (door.allow_trivial_codes).

/** Codes that top every list of guessed PINs and are not sequences or repeats. */
const WELL_KNOWN = new Set(['2580', '0852', '1004', '2000', '1122', '6969', '1313', '4321', '1010', '2001', '1984', '1900']);

/** Why a DTMF code is trivial to guess, or undefined when it is not. */
export function trivialCodeReason(code: string): string | undefined {
  if (code.length < 4) return 'shorter than 4 keys';
  if (/^(.)\1*$/.test(code)) return 'one key repeated';
  const digits = [...code].map((c) => (/[0-9]/.test(c) ? Number(c) : NaN));
  if (digits.every((d) => !Number.isNaN(d))) {
    const steps = digits.slice(1).map((d, i) => (d - digits[i]! + 10) % 10);
    if (steps.every((s) => s === 1) || steps.every((s) => s === 9)) return 'a run of consecutive digits';
  }
  if (code.length % 2 === 0 && /^(..)\1+$/.test(code)) return 'a pair of keys repeated';
  if (WELL_KNOWN.has(code)) return 'one of the most guessed codes';
  return undefined;
}
