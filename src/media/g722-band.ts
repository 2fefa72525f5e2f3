// The sub-band ADPCM of ITU-T G.722 (64 kbit/s, mode 1): the quantisers,
// inverse quantisers, scale-factor adaptation and the pole-zero predictor
// that encoder and decoder run in lock-step. Block names in comments are
// the standard's (§3.3-§3.6 encoder, §4.2-§4.3 decoder); arithmetic follows
// its fixed-point rules so that this decoder tracks any conforming encoder.
//
// Scales: the step size `det` and the log step size `nb` are in the
// standard's units; predictor coefficients are Q14 (16384 = 1.0).

/** Lower band: 6-bit quantiser decision levels (Table 6, multiplied by det >> 12). */
const Q6 = Int32Array.of(0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919);
/** 6-bit codes for interval m (1..30), negative and positive differences (Table 6). */
const ILN = Int32Array.of(0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4);
const ILP = Int32Array.of(0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32);

/** Reconstruction levels of the full 6-bit lower-band code (INVQBL, Table 6), Q15 of det. */
const QM6 = (() => {
  const magnitudes = [24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728];
  const t = new Int32Array(64);
  // Codes 0-3 are never sent by an encoder; the standard maps them to the smallest negative level.
  t.fill(-136, 0, 4);
  magnitudes.forEach((m, i) => {
    t[4 + i] = -m;
    t[32 + i] = m;
  });
  t[60] = 432;
  t[61] = 136;
  t[62] = -432;
  t[63] = -136;
  return t;
})();

/** Reconstruction levels of the 4-bit truncated lower-band code (INVQAL, Table 7) used by the predictor. */
const QM4 = Int32Array.of(0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0);
/** 4-bit code -> magnitude class for the lower band's log step adaptation (LOGSCL). */
const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);
/** Log step multipliers of the lower band, by magnitude class (Table 8). */
const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);

/** Upper band: the one decision level (Table 9) and the 2-bit codes for small/large, negative/positive. */
const Q2 = 564;
const IHN = Int32Array.of(0, 1, 0);
const IHP = Int32Array.of(0, 3, 2);
/** Reconstruction levels of the 2-bit upper-band code (INVQAH, Table 9). */
const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);
const RH2 = Int32Array.of(2, 1, 2, 1);
/** Log step multipliers of the upper band (Table 10). */
const WH = Int32Array.of(0, -214, 798);

/** 2^(i/32) * 2048 for i = 0..31: the mantissa of the step size (ILB, Table 11). */
const ILB = Int32Array.of(
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
);

function sat(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Sign as the standard tests it: the sign bit of a 16-bit value (0 counts as positive). */
function negative(v: number): boolean {
  return v < 0;
}

/** Parameters that set a band apart: its log step ceiling and exponent offset (LOGSCL/SCALEL vs LOGSCH/SCALEH). */
interface BandShape {
  maxNb: number;
  shift: number;
  initialDet: number;
}

const LOWER: BandShape = { maxNb: 18432, shift: 8, initialDet: 32 };
const UPPER: BandShape = { maxNb: 22528, shift: 10, initialDet: 8 };

/** Adaptive predictor and step size of one sub-band; identical in encoder and decoder. */
class Band {
  /** Estimated signal s, its zero-section part sz. */
  s = 0;
  sz = 0;
  /** Step size and its logarithm. */
  det: number;
  nb = 0;
  /** Pole coefficients a1, a2 (index 1, 2) and zero coefficients b1..b6 (index 1..6). */
  private readonly a = new Int32Array(3);
  private readonly b = new Int32Array(7);
  /** Quantised differences d(k-1)..d(k-6) (index 1..6). */
  private readonly d = new Int32Array(7);
  /** Partially reconstructed signal p(k-1), p(k-2) and reconstructed signal r(k-1), r(k-2). */
  private readonly p = new Int32Array(3);
  private readonly r = new Int32Array(3);

  constructor(private readonly shape: BandShape) {
    this.det = shape.initialDet;
  }

  /** LOGSCL/LOGSCH and SCALEL/SCALEH: adapts the step size to the magnitude class just coded. */
  adaptStep(multiplier: number): void {
    let nb = ((this.nb * 127) >> 7) + multiplier; // leakage 32512/32768 = 127/128
    if (nb < 0) nb = 0;
    else if (nb > this.shape.maxNb) nb = this.shape.maxNb;
    this.nb = nb;
    const mantissa = ILB[(nb >> 6) & 31] as number;
    const shift = this.shape.shift - (nb >> 11);
    this.det = (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
  }

  /** Block 4: updates the predictor with the quantised difference dq and computes the next estimate. */
  update(dq: number): void {
    const { a, b, d, p, r } = this;
    const rk = sat(this.s + dq); // RECONS
    const pk = sat(this.sz + dq); // PARREC

    // UPPOL2: a2 += 2^-7 sgn(p0)sgn(p2) - 2^-7 f(a1) sgn(p0)sgn(p1), leaking by 2^-7 (§3.6.4).
    const p0 = negative(pk);
    const fa1 = sat((a[1] as number) * 4);
    let t = p0 === negative(p[1] as number) ? -fa1 : fa1;
    if (t > 32767) t = 32767;
    let a2 = (t >> 7) + (p0 === negative(p[2] as number) ? 128 : -128) + (((a[2] as number) * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;

    // UPPOL1: a1 += 3 * 2^-8 sgn(p0)sgn(p1), leaking by 2^-8, kept within the stability triangle.
    let a1 = sat((p0 === negative(p[1] as number) ? 192 : -192) + (((a[1] as number) * 32640) >> 15));
    const limit = sat(15360 - a2);
    if (a1 > limit) a1 = limit;
    else if (a1 < -limit) a1 = -limit;

    // UPZERO: b_i += 2^-7 sgn(d0)sgn(d_i) (nothing when d0 is 0), leaking by 2^-8.
    const step = dq === 0 ? 0 : 128;
    const d0 = negative(dq);
    for (let i = 6; i >= 1; i--) {
      const bi = b[i] as number;
      b[i] = sat((d0 === negative(d[i] as number) ? step : -step) + ((bi * 32640) >> 15));
    }

    // DELAYA: shift the histories by one sample.
    for (let i = 6; i >= 2; i--) d[i] = d[i - 1] as number;
    d[1] = dq;
    p[2] = p[1] as number;
    p[1] = pk;
    r[2] = r[1] as number;
    r[1] = rk;
    a[1] = a1;
    a[2] = a2;

    // FILTEP, FILTEZ, PREDIC: the next estimate from two poles and six zeros.
    const sp = sat((((a[1] as number) * sat(2 * (r[1] as number))) >> 15) + (((a[2] as number) * sat(2 * (r[2] as number))) >> 15));
    let sz = 0;
    for (let i = 1; i <= 6; i++) sz += ((b[i] as number) * sat(2 * (d[i] as number))) >> 15;
    this.sz = sat(sz);
    this.s = sat(sp + this.sz);
  }
}

/** Lower sub-band ADPCM (6 bits per sample at 64 kbit/s). */
export class LowerBand {
  private readonly band = new Band(LOWER);

  /** Encoder: quantises the lower-band sample xL (QUANTL) and returns the 6-bit code. */
  encode(xl: number): number {
    const band = this.band;
    const el = sat(xl - band.s); // SUBTRA
    const magnitude = el >= 0 ? el : -(el + 1);
    let m = 1;
    while (m < 30 && magnitude >= ((Q6[m] as number) * band.det) >> 12) m++;
    const code = el < 0 ? (ILN[m] as number) : (ILP[m] as number);
    this.adapt(code);
    return code;
  }

  /** Decoder: reconstructs the lower-band sample rL from a 6-bit code (INVQBL, RECONS, LIMIT). */
  decode(code: number): number {
    const band = this.band;
    const dq = ((band.det * (QM6[code & 63] as number)) >> 15);
    let rl = band.s + dq;
    if (rl > 16383) rl = 16383;
    else if (rl < -16384) rl = -16384;
    this.adapt(code & 63);
    return rl;
  }

  /** INVQAL, LOGSCL, SCALEL and block 4 from the 4 most significant bits of the code. */
  private adapt(code: number): void {
    const band = this.band;
    const code4 = code >> 2;
    const dq = (band.det * (QM4[code4] as number)) >> 15;
    band.adaptStep(WL[RL42[code4] as number] as number);
    band.update(dq);
  }
}

/** Upper sub-band ADPCM (2 bits per sample). */
export class UpperBand {
  private readonly band = new Band(UPPER);

  /** Encoder: quantises the upper-band sample xH (QUANTH) and returns the 2-bit code. */
  encode(xh: number): number {
    const band = this.band;
    const eh = sat(xh - band.s);
    const magnitude = eh >= 0 ? eh : -(eh + 1);
    const m = magnitude >= (Q2 * band.det) >> 12 ? 2 : 1;
    const code = eh < 0 ? (IHN[m] as number) : (IHP[m] as number);
    this.adapt(code);
    return code;
  }

  /** Decoder: reconstructs the upper-band sample rH from a 2-bit code. */
  decode(code: number): number {
    const band = this.band;
    const dq = (band.det * (QM2[code & 3] as number)) >> 15;
    let rh = band.s + dq;
    if (rh > 16383) rh = 16383;
    else if (rh < -16384) rh = -16384;
    this.adapt(code & 3);
    return rh;
  }

  /** INVQAH, LOGSCH, SCALEH and block 4. */
  private adapt(code: number): void {
    const band = this.band;
    const dq = (band.det * (QM2[code] as number)) >> 15;
    band.adaptStep(WH[RH2[code] as number] as number);
    band.update(dq);
  }
}
