import { bootstrapRatioInterval, percentile } from '../../../bench/stats';

const spread = (n: number, scale: number) => Array.from({ length: n }, (_, i) => scale * (1 + (i % 97) / 97));

describe('bootstrapRatioInterval', () => {
  it('brackets the observed ratio and is the same for the same samples', () => {
    const a = spread(300, 2);
    const b = spread(300, 1);
    const observed =
      percentile(
        [...a].sort((x, y) => x - y),
        99,
      ) /
      percentile(
        [...b].sort((x, y) => x - y),
        99,
      );
    const interval = bootstrapRatioInterval(a, b, 99);
    expect(interval.low).toBeLessThanOrEqual(observed);
    expect(interval.high).toBeGreaterThanOrEqual(observed);
    expect(bootstrapRatioInterval(a, b, 99)).toEqual(interval);
  });

  it('is wider for the p99 than for the p50 of the same samples, and wider for fewer samples', () => {
    const a = spread(300, 2).map((x, i) => (i % 50 === 0 ? x * 3 : x));
    const b = spread(300, 1);
    const width = ({ low, high }: { low: number; high: number }) => high - low;
    expect(width(bootstrapRatioInterval(a, b, 99))).toBeGreaterThan(width(bootstrapRatioInterval(a, b, 50)));
    expect(width(bootstrapRatioInterval(a.slice(0, 30), b.slice(0, 30), 50))).toBeGreaterThan(width(bootstrapRatioInterval(a, b, 50)));
  });

  it('has no interval without samples', () => {
    expect(bootstrapRatioInterval([], [1, 2], 99)).toEqual({ low: NaN, high: NaN });
  });
});
