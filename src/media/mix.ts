// Adding one signal onto another, as a speaker would hear two sources at once.

/** Sample-wise sum of `a` and `b` (as long as `a`), clipped to 16 bits; neither input is changed. */
export function mixFrames(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const s = (a[i] as number) + (b[i] ?? 0);
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}
