/** Exact percentiles over recorded samples, plus a coarse log histogram for the JSON report. */

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, Infinity];

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
    mean: round(mean),
  };
}

/** Counts per bucket, keyed by the bucket's upper bound in ms (`le`). */
export function histogram(samples: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of BUCKETS_MS) out[b === Infinity ? '+Inf' : `le${b}`] = 0;
  for (const x of samples) {
    const b = BUCKETS_MS.find((u) => x <= u)!;
    const k = b === Infinity ? '+Inf' : `le${b}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) ? round(a / b, 3) : NaN;
}

/** mulberry32: a small seeded generator, so the same samples always give the same interval. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * The 95% bootstrap interval of percentile(a) ÷ percentile(b): both sample sets resampled with
 * replacement, `rounds` times. A p99 of 300 samples is their third-largest value, so one run's
 * ratio says little alone; the interval says how far it moves on the same system.
 */
export function bootstrapRatioInterval(a: readonly number[], b: readonly number[], p: number, rounds = 2_000, seed = 7): Interval {
  if (a.length === 0 || b.length === 0) return { low: NaN, high: NaN };
  const random = seededRandom(seed);
  const resampledPercentile = (xs: readonly number[]) =>
    percentile(
      Array.from(xs, () => xs[Math.floor(random() * xs.length)]!).sort((x, y) => x - y),
      p,
    );
  const ratios = Array.from({ length: rounds }, () => resampledPercentile(a) / resampledPercentile(b)).sort((x, y) => x - y);
  return { low: round(percentile(ratios, 2.5), 3), high: round(percentile(ratios, 97.5), 3) };
}
