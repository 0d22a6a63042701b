/** Whole-data ELBO: float64 sums of per-point statistics over batches, against the float64 reference. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ElboAccumulator } from '../../../src/elbo/elbo-accumulator.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';
import { slicePosterior } from '../../../training/per-point/slice-posterior.ts';
import { randomProblem, relativeError, toTensors } from '../../helpers/random-problem.ts';
import * as ref from '../../helpers/reference-elbo.ts';
import { accumulate } from '../../../training/objective/accumulate.ts';

describe('ElboAccumulator', () => {
  it.each(['diag', 'lowrank', 'full'] as const)(
    'over uneven batches equals the whole-data float64 ELBO (%s)',
    (family) => {
      const p = randomProblem(21, family, 23, 6, 5, 2);
      const expected = ref.entropyElbo(p.x, p.w, p.q, 2, 0.5);
      const acc = new ElboAccumulator(6, 5);
      tf.tidy(() => {
        const { x, w, q } = toTensors(p);
        const wn = normalizeColumns(w);
        for (const [start, end] of [
          [0, 10],
          [10, 11],
          [11, 23],
        ] as const) {
          const s = pointStatistics(tf.slice(x, start, end - start), wn, slicePosterior(q, start, end));
          accumulate(acc, s);
        }
      });
      const got = acc.report(2, 0.5);
      expect(got.n).toBe(23);
      expect(relativeError(got.elbo, expected.elbo)).toBeLessThan(1e-6);
      expect(relativeError(got.entropy_q, expected.entropyQ)).toBeLessThan(1e-6);
      expect(relativeError(got.entropy_prior, expected.entropyPrior)).toBeLessThan(1e-6);
      expect(relativeError(got.entropy_likelihood, expected.entropyLikelihood)).toBeLessThan(1e-6);
      expect(relativeError(got.sigma2, expected.sigma2)).toBeLessThan(1e-6);
    },
  );

  it('keeps float64 precision where float32 sums would drift', () => {
    // 2·10⁶ identical points: a float32 running sum of 1.1 drifts by far more than 1e-6.
    const acc = new ElboAccumulator(1, 1);
    const ones = new Float32Array(100_000).fill(1.1);
    const zeros = new Float32Array(100_000);
    for (let i = 0; i < 20; i++) acc.add({ scaledM: ones, squaredError: ones, logDet: zeros });
    const f32 = new Float32Array(1);
    for (let i = 0; i < 2_000_000; i++) f32[0] = f32[0]! + Math.fround(1.1);
    expect(relativeError(f32[0]! / 2e6, Math.fround(1.1))).toBeGreaterThan(1e-4);
    expect(relativeError(acc.report().sigma2, Math.fround(1.1))).toBeLessThan(1e-12);
  });

  it('refuses to report an empty data set', () => {
    expect(() => new ElboAccumulator(2, 2).report()).toThrow(/no points/);
  });
});
