/**
 * The non-amortized posteriors and the E-step: the parameterisation describes the intended T_n, and
 * L-BFGS ends at an optimum of the objective (small gradient; random perturbations only lower it), for
 * the entropy ELBO and for mean ℓ_n at frozen Θ, which at Θ_opt share their stationary points (math.md,
 * identity 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { generateBars } from '../../../src/data/bars.ts';
import { Random } from '../../../src/random.ts';
import { ELBO_OBJECTIVE, fitPosteriors, type PointsObjective } from '../../../training/per-point/e-step.ts';
import { ridgeCodes } from '../../../training/per-point/initial-means.ts';
import {
  initialArrays,
  packedIndex,
  PosteriorVariables,
  spreadParameter,
  type PointArrays,
  type PointLayout,
} from '../../../training/per-point/posterior-variables.ts';
import { objectiveOf } from '../../../training/per-point/precise-objective.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';

/** A small bars problem: 3×3 grid (D = 9, H = 6), 60 points, the generating dictionary. */
function problem() {
  const bars = generateBars({ size: 3, samples: 60, noise: 0.1, seed: 7 });
  const x = tf.tensor2d(bars.x, [bars.n, bars.d]);
  const wn = tf.tidy(() => normalizeColumns(tf.tensor2d(Float32Array.from(bars.w), [bars.d, bars.h])));
  return { x, wn, n: bars.n, d: bars.d, h: bars.h };
}

function objectiveAt(x: tf.Tensor2D, wn: tf.Tensor2D, q: PosteriorVariables, objective: PointsObjective): number {
  return tf.tidy(() => objectiveOf(pointStatistics(x, wn, q.posterior()), x.shape[1], objective).exact);
}

/** max_i |∂(−B·objective)/∂θ_i| over the posterior parameters */
function gradientNorm(x: tf.Tensor2D, wn: tf.Tensor2D, q: PosteriorVariables, objective: PointsObjective): number {
  const { value, grads } = tf.variableGrads(
    () => tf.mul(-q.b, objectiveOf(pointStatistics(x, wn, q.posterior()), x.shape[1], objective).tensor) as tf.Scalar,
    q.variables,
  );
  const norm = Math.max(...Object.values(grads).map((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!)));
  tf.dispose([value, ...Object.values(grads)]);
  return norm;
}

/** Every perturbation of the fitted parameters by `scale`·N(0, 1) scores lower. */
function perturbationsScoreLower(
  x: tf.Tensor2D,
  wn: tf.Tensor2D,
  q: PosteriorVariables,
  objective: PointsObjective,
  scale: number,
): void {
  const fitted = q.read();
  const best = objectiveAt(x, wn, q, objective);
  const rng = new Random(3);
  for (let trial = 0; trial < 10; trial++) {
    q.write(fitted.map((a) => Float32Array.from(a, (v) => v + scale * rng.normal())));
    expect(objectiveAt(x, wn, q, objective)).toBeLessThan(best);
  }
  q.write(fitted);
}

describe('posterior variables', () => {
  it('start with the given means and spread in every direction, in each family', () => {
    for (const family of ['diag', 'lowrank', 'full'] as const) {
      const layout: PointLayout = { family, h: 4, rank: 2, spreadScale: 0.01 };
      const mean = Float32Array.from({ length: 12 }, (_, i) => i - 6);
      const q = new PosteriorVariables(layout, 3, initialArrays(layout, mean, 0.3));
      tf.tidy(() => {
        const p = q.posterior();
        expect(Array.from(p.mean.dataSync())).toEqual(Array.from(mean));
        // T = 0.09 I for every point (the low-rank factors add a little symmetry-breaking noise)
        const variances =
          p.family === 'diag'
            ? tf.square(p.std)
            : p.family === 'lowrank'
              ? tf.square(p.diagStd)
              : tf.sum(tf.square(p.chol), 2);
        for (const v of variances.dataSync()) expect(v).toBeCloseTo(0.09, 5);
        if (p.family === 'lowrank') for (const v of p.factor.dataSync()) expect(Math.abs(v)).toBeLessThan(0.15);
        if (p.family === 'full') {
          const l = p.chol.arraySync();
          for (const point of l)
            point.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 0.3 : 0, 6)));
        }
      });
      q.dispose();
    }
  });

  it('place the packed strictly lower triangle below the diagonal and keep the upper triangle zero', () => {
    const layout: PointLayout = { family: 'full', h: 3, rank: 0, spreadScale: 0.1 };
    const arrays: PointArrays = [
      new Float32Array(3),
      Float32Array.of(1, 2, 3),
      new Float32Array(3).fill(spreadParameter(0.5, 0.1)),
    ];
    const q = new PosteriorVariables(layout, 1, arrays);
    const l = tf.tidy(() => (q.posterior() as { chol: tf.Tensor3D }).chol.arraySync()[0]!);
    const expected = [
      [0.5, 0, 0],
      [1, 0.5, 0],
      [2, 3, 0.5],
    ];
    expect(packedIndex(2, 1)).toBe(2);
    l.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5)));
    q.dispose();
  });
});

describe('the E-step', () => {
  it.each(['diag', 'lowrank', 'full'] as const)(
    'finds the optimum of the entropy ELBO over the posteriors (%s)',
    (family) => {
      const { x, wn, n, h } = problem();
      const layout: PointLayout = { family, h, rank: 2, spreadScale: 0.005 };
      const q = new PosteriorVariables(layout, n, initialArrays(layout, ridgeCodes(x, wn), 0.2));
      const before = objectiveAt(x, wn, q, ELBO_OBJECTIVE);
      const startGradient = gradientNorm(x, wn, q, ELBO_OBJECTIVE);
      const result = fitPosteriors(x, wn, q, ELBO_OBJECTIVE, { maxIterations: 500 });
      expect(result.objective).toBeCloseTo(objectiveAt(x, wn, q, ELBO_OBJECTIVE), 6);
      expect(result.objective).toBeGreaterThan(before);
      // float32 floor: the low-rank log det goes through an r×r capacitance matrix with entries ~V²/d²
      expect(gradientNorm(x, wn, q, ELBO_OBJECTIVE)).toBeLessThan((family === 'lowrank' ? 1e-2 : 1e-3) * startGradient);
      perturbationsScoreLower(x, wn, q, ELBO_OBJECTIVE, 1e-3);
      tf.dispose([x, wn]);
      q.dispose();
    },
  );

  it('at Θ_opt, the frozen-Θ objective is stationary where the entropy ELBO is (Theorem 3)', () => {
    const { x, wn, n, h } = problem();
    const layout: PointLayout = { family: 'full', h, rank: 0, spreadScale: 0.005 };
    const q = new PosteriorVariables(layout, n, initialArrays(layout, ridgeCodes(x, wn), 0.2));
    fitPosteriors(x, wn, q, ELBO_OBJECTIVE, { maxIterations: 500 });
    const entropy = objectiveAt(x, wn, q, ELBO_OBJECTIVE);
    const stats = tf.tidy(() => {
      const s = pointStatistics(x, wn, q.posterior());
      return {
        lambda: tf.keep(tf.mean(s.scaledM, 0) as tf.Tensor1D),
        sigma2: tf.mean(s.squaredError).dataSync()[0]! / x.shape[1],
      };
    });
    const frozen: PointsObjective = { kind: 'frozen', theta: stats };
    // Theorem 1/2: mean ℓ_n at Θ_opt equals L_{1,1}; Theorem 3: the gradients agree, so it is ~0 here too
    expect(objectiveAt(x, wn, q, frozen)).toBeCloseTo(entropy, 4);
    const startGradient = gradientNorm(x, wn, q, frozen);
    const result = fitPosteriors(x, wn, q, frozen, { maxIterations: 200 });
    expect(result.objective - entropy).toBeLessThan(1e-4);
    expect(startGradient).toBeLessThan(0.05);
    perturbationsScoreLower(x, wn, q, frozen, 1e-3);
    tf.dispose([x, wn, stats.lambda]);
    q.dispose();
  });
});
