/**
 * Clip selection of ImageBind's audio loader: pytorchvideo's ConstantClipsPerVideoSampler(clip_duration,
 * clips_per_video) over duration D = samples / rate, then waveform[int(start * rate) : int(end * rate)].
 * The sampler works in Python Fractions on the float D - clip_duration, so starts are computed here with
 * exact rational arithmetic (BigInt) to land on the same sample as the reference, never one off.
 */

interface Fraction {
  num: bigint;
  den: bigint;
}

/** The exact value of a non-negative finite double (Python's Fraction(float)). */
function fractionOf(x: number): Fraction {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`expected a finite non-negative number, got ${x}`);
  let den = 1n;
  let v = x;
  while (!Number.isInteger(v)) {
    v *= 2; // exact: a power-of-two scale never rounds
    den *= 2n;
  }
  return { num: BigInt(v), den };
}

/** [start, end) sample ranges of the clips (end not clamped to the signal; the caller slices). */
export function clipRanges(samples: number, rate: number, clipSeconds: number, clips: number): [number, number][] {
  const duration = samples / rate;
  const maxStart = fractionOf(Math.max(duration - clipSeconds, 0));
  const clip = fractionOf(clipSeconds);
  const divisor = BigInt(Math.max(clips - 1, 1));
  const r = BigInt(rate);
  const out: [number, number][] = [];
  for (let i = 0; i < clips; i++) {
    // start = maxStart * i / divisor; end = start + clip; index = floor(value * rate)
    const sNum = maxStart.num * BigInt(i);
    const sDen = maxStart.den * divisor;
    const start = (sNum * r) / sDen;
    const eNum = sNum * clip.den + clip.num * sDen;
    const eDen = sDen * clip.den;
    const end = (eNum * r) / eDen;
    out.push([Number(start), Number(end)]);
  }
  return out;
}
