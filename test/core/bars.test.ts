import { describe, expect, it } from 'vitest';
import { barsDictionary, generateBars } from '../../src/data/bars.ts';
import { UserError } from '../../src/errors.ts';

/** Column k of W [D, H] drawn as grid rows of 0/1, e.g. "111/000/000". */
function picture(w: Float64Array, size: number, k: number): string {
  const h = 2 * size;
  const rows: string[] = [];
  for (let r = 0; r < size; r++) {
    let row = '';
    for (let c = 0; c < size; c++) row += String(w[(r * size + c) * h + k]);
    rows.push(row);
  }
  return rows.join('/');
}

const mean = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0) / values.length;
const variance = (values: ArrayLike<number>) => {
  const m = mean(values);
  return Array.from(values).reduce((a, b) => a + (b - m) ** 2, 0) / values.length;
};

describe('barsDictionary', () => {
  it('draws the horizontal, then the vertical bars of a 3×3 grid', () => {
    const w = barsDictionary(3);
    expect(w.length).toBe(9 * 6);
    expect([0, 1, 2, 3, 4, 5].map((k) => picture(w, 3, k))).toEqual([
      '111/000/000',
      '000/111/000',
      '000/000/111',
      '100/100/100',
      '010/010/010',
      '001/001/001',
    ]);
  });

  it('makes every column of the 5×5 dictionary a distinct full row or column of the grid', () => {
    const size = 5;
    const w = barsDictionary(size);
    const seen = new Set<string>();
    for (let k = 0; k < 2 * size; k++) {
      const lines = picture(w, size, k).split('/');
      const isHorizontal =
        lines.filter((line) => line === '11111').length === 1 &&
        lines.every((line) => line === '11111' || line === '00000');
      const columns = Array.from({ length: size }, (_, c) => lines.map((line) => line[c]).join(''));
      const isVertical =
        columns.filter((col) => col === '11111').length === 1 &&
        columns.every((col) => col === '11111' || col === '00000');
      expect(k < size ? isHorizontal : isVertical).toBe(true);
      seen.add(picture(w, size, k));
    }
    expect(seen.size).toBe(10);
  });

  it('refuses a bad size', () => {
    expect(() => barsDictionary(0)).toThrow(UserError);
    expect(() => barsDictionary(2.5)).toThrow(/bars size must be a positive integer, got 2.5/);
  });
});

describe('generateBars', () => {
  it('has the shapes of math.md and the defaults b = 5, N = 1000', () => {
    const bars = generateBars({ seed: 1 });
    expect([bars.n, bars.d, bars.h]).toEqual([1000, 25, 10]);
    expect(bars.x).toBeInstanceOf(Float32Array);
    expect(bars.x.length).toBe(1000 * 25);
    expect(bars.z.length).toBe(1000 * 10);
    expect(bars.w).toEqual(barsDictionary(5));
    const small = generateBars({ size: 3, samples: 7, seed: 1 });
    expect([small.n, small.d, small.h, small.x.length, small.z.length]).toEqual([7, 9, 6, 63, 42]);
  });

  it('is deterministic given the seed, and different seeds differ', () => {
    const a = generateBars({ samples: 50, seed: 42 });
    const b = generateBars({ samples: 50, seed: 42 });
    const c = generateBars({ samples: 50, seed: 43 });
    expect(b.x).toEqual(a.x);
    expect(b.z).toEqual(a.z);
    expect(c.x).not.toEqual(a.x);
    expect(c.z.filter((v, i) => v === a.z[i]).length).toBe(0);
  });

  it('is x = W z exactly (to float32) without noise', () => {
    const { x, z, w, n, d, h } = generateBars({ size: 4, samples: 20, noise: 0, seed: 5 });
    for (let i = 0; i < n; i++)
      for (let p = 0; p < d; p++) {
        let wz = 0;
        for (let k = 0; k < h; k++) wz += w[p * h + k]! * z[i * h + k]!;
        expect(x[i * d + p]).toBe(Math.fround(wz));
      }
  });

  it('draws z ~ Laplace(0, 1) and ε ~ N(0, noise²) independently', () => {
    const noise = 0.1;
    const { x, z, w, n, d, h } = generateBars({ size: 5, samples: 4000, noise, seed: 9 });
    // Laplace(0, 1): mean 0, variance 2, E|z| = 1, median |z| = ln 2.
    expect(Math.abs(mean(z))).toBeLessThan(0.03);
    expect(variance(z)).toBeCloseTo(2, 1);
    expect(mean(z.map(Math.abs))).toBeCloseTo(1, 1);
    const sortedAbs = Array.from(z, Math.abs).sort((a, b) => a - b);
    expect(sortedAbs[Math.floor(sortedAbs.length / 2)]).toBeCloseTo(Math.LN2, 1);

    const eps = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let p = 0; p < d; p++) {
        let wz = 0;
        for (let k = 0; k < h; k++) wz += w[p * h + k]! * z[i * h + k]!;
        eps[i * d + p] = x[i * d + p]! - wz;
      }
    expect(Math.abs(mean(eps))).toBeLessThan(0.002);
    expect(variance(eps) / noise ** 2).toBeGreaterThan(0.97);
    expect(variance(eps) / noise ** 2).toBeLessThan(1.03);
    // Gaussian: about 68.3 % within one SD.
    expect(eps.filter((e) => Math.abs(e) < noise).length / eps.length).toBeCloseTo(0.683, 2);
    // ε of pixel 0 is uncorrelated with the z of the bar through it.
    let covariance = 0;
    for (let i = 0; i < n; i++) covariance += eps[i * d]! * z[i * h]!;
    expect(Math.abs(covariance / n / (noise * Math.SQRT2))).toBeLessThan(0.06);
  });

  it('refuses bad options', () => {
    expect(() => generateBars({ samples: -1, seed: 1 })).toThrow(UserError);
    expect(() => generateBars({ noise: -0.1, seed: 1 })).toThrow(/noise/);
    expect(() => generateBars({ size: 0, seed: 1 })).toThrow(/bars size/);
  });
});
