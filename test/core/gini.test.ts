import { describe, expect, it } from 'vitest';
import { gini, giniStats } from '../../src/metrics/gini.ts';
import { Random } from '../../src/random.ts';

/** math.md's second form: (H + 1 − 2 Σ_k cumsum_k / cumsum_H) / H over |c| sorted ascending. */
function giniByCumulativeSums(c: number[]): number {
  const sorted = c.map(Math.abs).sort((a, b) => a - b);
  const h = sorted.length;
  const cumsum: number[] = [];
  sorted.forEach((v, k) => cumsum.push((cumsum[k - 1] ?? 0) + v));
  const total = cumsum[h - 1]!;
  return (h + 1 - (2 * cumsum.reduce((a, b) => a + b, 0)) / total) / h;
}

describe('gini', () => {
  it('is 1 − 1/H for a one-hot vector', () => {
    for (const h of [1, 2, 5, 10, 400]) {
      const c = new Float64Array(h);
      c[h >> 1] = -3;
      expect(gini(c)).toBeCloseTo(1 - 1 / h, 12);
    }
  });

  it('is 0 for equal magnitudes, whatever the signs', () => {
    expect(gini([2, 2, 2, 2, 2])).toBeCloseTo(0, 12);
    expect(gini([1, -1, 1, -1])).toBeCloseTo(0, 12);
  });

  it('has the hand-computed values 0.5 for [0, 0, 1, 1] and 2/9 for [3, 1, 2]', () => {
    expect(gini([1, 0, 1, 0])).toBeCloseTo(0.5, 12);
    expect(gini([3, 1, 2])).toBeCloseTo(2 / 9, 12);
  });

  it('gives 0 for the all-zero and the empty vector', () => {
    expect(gini(new Float32Array(8))).toBe(0);
    expect(gini([])).toBe(0);
  });

  it('agrees with the cumulative-sum formula on random vectors', () => {
    const rng = new Random(1);
    for (let trial = 0; trial < 50; trial++) {
      const h = 1 + rng.int(60);
      const c = Array.from({ length: h }, () => rng.laplace() * (rng.uniform() < 0.3 ? 0 : 1));
      if (!c.some((v) => v !== 0)) c[0] = 1;
      expect(gini(c)).toBeCloseTo(giniByCumulativeSums(c), 12);
    }
  });

  it('gives a float32 vector the value of the same numbers in a plain array (ties, zeros of both signs, infinities, NaN)', () => {
    const rng = new Random(3);
    for (let trial = 0; trial < 50; trial++) {
      const c = Float32Array.from({ length: 1 + rng.int(120) }, () =>
        rng.uniform() < 0.2 ? [0, -0, 1, -1][rng.int(4)]! : rng.laplace() * 10 ** rng.int(5),
      );
      expect(gini(c)).toBe(gini(Array.from(c)));
    }
    for (const special of [Infinity, -Infinity, NaN])
      expect(gini(Float32Array.of(1, special, -2))).toBe(gini([1, special, -2]));
  });

  it('is invariant to scaling and permutation, and lies in [0, 1 − 1/H]', () => {
    const rng = new Random(2);
    for (let trial = 0; trial < 20; trial++) {
      const h = 2 + rng.int(30);
      const c = Float64Array.from({ length: h }, () => rng.normal());
      const g = gini(c);
      expect(gini(c.map((v) => v * 3.7))).toBeCloseTo(g, 12);
      expect(gini(c.map((v) => v * -0.01))).toBeCloseTo(g, 12);
      const p = rng.permutation(h);
      expect(gini(Array.from(p, (i) => c[i]!))).toBeCloseTo(g, 12);
      expect(g).toBeGreaterThanOrEqual(-1e-12);
      expect(g).toBeLessThanOrEqual(1 - 1 / h + 1e-12);
    }
  });

  it('grows as a vector gets sparser', () => {
    // Magnitudes e^{-k/s}: the smaller s, the more the mass concentrates.
    const values = [8, 4, 2, 1, 0.5].map((s) => gini(Array.from({ length: 20 }, (_, k) => Math.exp(-k / s))));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);
  });
});

describe('giniStats', () => {
  it('averages over rows with the population SD', () => {
    const h = 4;
    // one-hot (0.75), uniform (0), one-hot (0.75), [0, 0, 1, 1] (0.5)
    const samples = Float32Array.of(0, 0, 5, 0, 1, 1, 1, 1, 0, -2, 0, 0, 0, 1, 0, 1);
    const values = [0.75, 0, 0.75, 0.5];
    const mean = values.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    const stats = giniStats(samples, 4, h);
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect(stats.sd).toBeCloseTo(sd, 12);
    expect(giniStats(samples.subarray(0, 4), 1, 4)).toEqual({ mean: 0.75, sd: 0 });
  });

  it('refuses a length that does not match rows × cols', () => {
    expect(() => giniStats(new Float64Array(10), 3, 3)).toThrow(RangeError);
  });
});
