/** Known values on bars (math.md): the ground-truth dictionary scores above a random one. */
import { describe, expect, it } from 'vitest';
import { generateBars } from '../../../src/data/bars.ts';
import { barsSanityCheck, elboWithMeans } from '../../../training/commands/demo.ts';
import * as ref from '../../helpers/reference-elbo.ts';

describe('the bars ground truth', () => {
  it.each([1, 2, 3])('has a finite ELBO above that of a random dictionary (seed %i)', (seed) => {
    const { groundTruth, random } = barsSanityCheck(seed);
    expect(Number.isFinite(groundTruth)).toBe(true);
    expect(groundTruth).toBeGreaterThan(random + 10);
  });

  it('matches the float64 reference with the generating latents as posterior means', () => {
    const bars = generateBars({ size: 3, samples: 50, noise: 0.1, seed: 4 });
    const rows = (a: ArrayLike<number>, cols: number) =>
      Array.from({ length: a.length / cols }, (_, i) => Array.from(a).slice(i * cols, (i + 1) * cols));
    const latents = Float32Array.from(bars.z, (z) => z * Math.sqrt(3)); // bars of 3 ones have norm √3
    const got = elboWithMeans(bars.x, bars.n, bars.d, Float32Array.from(bars.w), bars.h, latents);
    const mean = rows(latents, bars.h);
    const expected = ref.entropyElbo(rows(bars.x, bars.d), rows(bars.w, bars.h), {
      family: 'diag',
      mean,
      std: mean.map((r) => r.map(() => 0.05)),
    });
    expect(Math.abs(got.elbo - expected.elbo) / Math.abs(expected.elbo)).toBeLessThan(1e-5);
    // near-exact posteriors: σ² close to the generating noise variance 0.01 (plus the spread's share)
    expect(got.sigma2).toBeGreaterThan(0.005);
    expect(got.sigma2).toBeLessThan(0.02);
  });
});
