/**
 * The tfjs objective against the independent float64 reference (test/helpers/reference-elbo.ts), the
 * identities 1, 2, 4 and 5 of math.md, and M's known values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { annealedObjective, batchEntropies } from '../../../training/objective/entropy-elbo.ts';
import { mFunction } from '../../../training/objective/m-function.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';
import type { Posterior, PosteriorFamily } from '../../../training/objective/posterior.ts';
import { pointElbo } from '../../../training/objective/standard-elbo.ts';
import { randomProblem, relativeError, toTensors } from '../../helpers/random-problem.ts';
import * as ref from '../../helpers/reference-elbo.ts';

const families: PosteriorFamily[] = ['diag', 'lowrank', 'full'];
// [N, D, H, r]: H > D, r = 1 and N = 1 included.
const shapes: Array<[number, number, number, number]> = [
  [7, 6, 4, 2],
  [5, 3, 8, 1],
  [1, 5, 4, 3],
  [16, 9, 6, 1],
];
const seeds = [1, 2, 3];

function objectiveOf(x: tf.Tensor2D, w: tf.Tensor2D, q: Posterior, gamma = 1, delta = 1) {
  const e = batchEntropies(pointStatistics(x, normalizeColumns(w), q), x.shape[1]);
  return { e, value: annealedObjective(e, gamma, delta) };
}

describe('M(a) (Eq. 11)', () => {
  it('has the known values M(0) = √(2/π) and M(a) > |a|, and matches float64', () => {
    const a = [-8, -3, -1.5, -0.2, 0, 1e-3, 0.7, 2, 5, 9];
    const m = tf.tidy(() => mFunction(tf.tensor1d(a)).dataSync());
    expect(m[4]).toBeCloseTo(Math.sqrt(2 / Math.PI), 7);
    a.forEach((ai, i) => {
      expect(m[i]!).toBeGreaterThan(Math.abs(ai) - 1e-6 * Math.abs(ai));
      expect(relativeError(m[i]!, ref.m64(ai))).toBeLessThan(2e-6);
    });
    // strictly above |a| where float32 can resolve the difference
    for (const ai of [-2, -0.5, 0, 0.5, 2]) expect(ref.m64(ai)).toBeGreaterThan(Math.abs(ai));
  });

  it("has M'(a) = erf(a/√2) through autodiff, and that agrees with finite differences of float64 M", () => {
    const a = [-4, -1, -0.3, 0, 0.25, 1.7, 3.5];
    const g = tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) => tf.sum(mFunction(t)))(tf.tensor1d(a))
        .dataSync(),
    );
    a.forEach((ai, i) => {
      expect(g[i]!).toBeCloseTo(ref.erf64(ai / Math.SQRT2), 6);
      const fd = (ref.m64(ai + 1e-6) - ref.m64(ai - 1e-6)) / 2e-6;
      expect(g[i]!).toBeCloseTo(fd, 5);
    });
  });
});

describe.each(families)('the %s family', (family) => {
  it.each(shapes)('matches the float64 reference for N=%i D=%i H=%i r=%i', (n, d, h, r) => {
    for (const seed of seeds) {
      const p = randomProblem(seed, family, n, d, h, r);
      const expected = ref.entropyElbo(p.x, p.w, p.q, 1.7, 0.6);
      const got = tf.tidy(() => {
        const { x, w, q } = toTensors(p);
        const { e, value } = objectiveOf(x, w, q, 1.7, 0.6);
        return {
          value: value.dataSync()[0]!,
          entropyQ: e.entropyQ.dataSync()[0]!,
          entropyPrior: e.entropyPrior.dataSync()[0]!,
          entropyLikelihood: e.entropyLikelihood.dataSync()[0]!,
          lambda: Array.from(e.lambda.dataSync()),
          sigma2: e.sigma2.dataSync()[0]!,
        };
      });
      const scale =
        Math.abs(expected.entropyQ) + Math.abs(expected.entropyPrior) + Math.abs(expected.entropyLikelihood);
      expect(Math.abs(got.value - expected.elbo) / scale).toBeLessThan(2e-6);
      expect(relativeError(got.sigma2, expected.sigma2)).toBeLessThan(1e-5);
      got.lambda.forEach((l, k) => expect(relativeError(l, expected.lambda[k]!)).toBeLessThan(1e-5));
      expect(Math.abs(got.entropyQ - expected.entropyQ) / scale).toBeLessThan(2e-6);
    }
  });

  it('identity 1: mean ℓ_n at Θ_opt equals L_{1,1}', () => {
    for (const seed of seeds) {
      const p = randomProblem(seed, family, 9, 5, 6, 2);
      const [elbo, meanPointElbo] = tf.tidy(() => {
        const { x, w, q } = toTensors(p);
        const stats = pointStatistics(x, normalizeColumns(w), q);
        const e = batchEntropies(stats, 5);
        const theta = { lambda: e.lambda, sigma2: e.sigma2.dataSync()[0]! };
        return [annealedObjective(e).dataSync()[0]!, tf.mean(pointElbo(stats, theta, 5)).dataSync()[0]!];
      });
      expect(relativeError(meanPointElbo, elbo)).toBeLessThan(2e-6);
      // and exactly, in float64, for the reference formulas
      const r = ref.entropyElbo(p.x, p.w, p.q);
      const points = ref.pointElbo(p.x, p.w, p.q, r.lambda, r.sigma2);
      expect(relativeError(points.reduce((a, b) => a + b, 0) / points.length, r.elbo)).toBeLessThan(1e-13);
    }
  });

  it('identity 2: at Θ_opt the gradients of L_{1,1} and of mean ℓ_n agree (posterior parameters and W)', () => {
    const p = randomProblem(4, family, 6, 5, 4, 2);
    const { x, w, q } = toTensors(p);
    const params = posteriorParams(q);
    const theta = tf.tidy(() => {
      const e = batchEntropies(pointStatistics(x, normalizeColumns(w), q), 5);
      return { lambda: tf.keep(e.lambda), sigma2: e.sigma2.dataSync()[0]! };
    });
    const inputs = [w, ...params];
    const entropyGrads = tf.grads((...v: tf.Tensor[]) =>
      annealedObjective(
        batchEntropies(pointStatistics(x, normalizeColumns(v[0] as tf.Tensor2D), rebuild(q, v.slice(1))), 5),
      ),
    )(inputs);
    const standardGrads = tf.grads((...v: tf.Tensor[]) =>
      tf.mean(pointElbo(pointStatistics(x, normalizeColumns(v[0] as tf.Tensor2D), rebuild(q, v.slice(1))), theta, 5)),
    )(inputs);
    entropyGrads.forEach((g, i) => {
      const a = g.dataSync() as Float32Array;
      const b = standardGrads[i]!.dataSync() as Float32Array;
      const norm = Math.sqrt(b.reduce((s, v) => s + v * v, 0));
      expect(norm).toBeGreaterThan(1e-3);
      const diff = Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0));
      expect(diff / norm).toBeLessThan(1e-4);
    });
    tf.dispose([x, w, ...params, theta.lambda, ...entropyGrads, ...standardGrads]);
  });

  it.each([2, 1])(
    'matches float64 finite differences of the reference for gradients w.r.t. W and the posterior (r = %i)',
    (rank) => {
      const p = randomProblem(5, family, 4, 4, 3, rank);
      const { x, w, q } = toTensors(p);
      const params = posteriorParams(q);
      const grads = tf.grads(
        (...v: tf.Tensor[]) => objectiveOf(x, v[0] as tf.Tensor2D, rebuild(q, v.slice(1)), 1.3, 0.8).value,
      )([w, ...params]);
      const eps = 1e-6;
      const fd = (mutate: (sign: number) => ref.RefPosterior | ref.Mat, which: 'w' | 'q') => {
        const f = (sign: number) => {
          const changed = mutate(sign);
          return which === 'w'
            ? ref.entropyElbo(p.x, changed as ref.Mat, p.q, 1.3, 0.8).elbo
            : ref.entropyElbo(p.x, p.w, changed as ref.RefPosterior, 1.3, 0.8).elbo;
        };
        return (f(1) - f(-1)) / (2 * eps);
      };
      // W[1][2]
      const gw = grads[0]!.dataSync()[1 * 3 + 2]!;
      const fdw = fd((sign) => p.w.map((row, i) => row.map((v, j) => (i === 1 && j === 2 ? v + sign * eps : v))), 'w');
      expect(gw).toBeCloseTo(fdw, 3);
      // mean ν[2][1]
      const gm = grads[1]!.dataSync()[2 * 3 + 1]!;
      const fdm = fd(
        (sign) => ({
          ...p.q,
          mean: p.q.mean.map((row, i) => row.map((v, j) => (i === 2 && j === 1 ? v + sign * eps : v))),
        }),
        'q',
      );
      expect(gm).toBeCloseTo(fdm, 3);
      // one covariance parameter of point 3
      const gc = grads[2]!.dataSync()[3 * (grads[2]!.size / 4)]!;
      const fdc = fd((sign) => perturbFirstCovarianceParameter(p.q, 3, sign * eps), 'q');
      expect(gc).toBeCloseTo(fdc, 3);
      tf.dispose([x, w, ...params, ...grads]);
    },
  );

  it('identity 5: is invariant to rescaling the columns of the stored W', () => {
    const p = randomProblem(6, family, 5, 4, 3, 2);
    const [a, b] = tf.tidy(() => {
      const { x, w, q } = toTensors(p);
      const scaled = tf.mul(w, tf.tensor1d([0.01, 3, 250]));
      return [objectiveOf(x, w, q).value.dataSync()[0]!, objectiveOf(x, scaled as tf.Tensor2D, q).value.dataSync()[0]!];
    });
    expect(relativeError(b, a)).toBeLessThan(1e-5);
  });
});

describe('identity 4: the families agree where they coincide', () => {
  it('low-rank with V = 0 and full with diagonal L are the diagonal family', () => {
    const p = randomProblem(7, 'diag', 6, 5, 4);
    if (p.q.family !== 'diag') throw new Error('unreachable');
    const std = p.q.std;
    const values = tf.tidy(() => {
      const { x, w, q } = toTensors(p);
      const mean = q.mean;
      const lowrank: Posterior = { family: 'lowrank', mean, factor: tf.zeros([6, 4, 2]), diagStd: tf.tensor2d(std) };
      const full: Posterior = {
        family: 'full',
        mean,
        chol: tf.tensor3d(std.map((row) => row.map((s, i) => row.map((_, j) => (i === j ? s : 0))))),
      };
      return [q, lowrank, full].map((qq) => objectiveOf(x, w, qq).value.dataSync()[0]!);
    });
    expect(relativeError(values[1]!, values[0]!)).toBeLessThan(1e-6);
    expect(relativeError(values[2]!, values[0]!)).toBeLessThan(1e-6);
  });

  it('low-rank T equals the full family with L = chol(VVᵀ + diag d²)', () => {
    const p = randomProblem(8, 'lowrank', 5, 4, 6, 2);
    const chol = Array.from({ length: p.n }, (_, n) => ref.cholesky(ref.covariance(p.q, n)));
    const [a, b] = tf.tidy(() => {
      const { x, w, q } = toTensors(p);
      const full: Posterior = { family: 'full', mean: q.mean, chol: tf.tensor3d(chol) };
      return [objectiveOf(x, w, q).value.dataSync()[0]!, objectiveOf(x, w, full).value.dataSync()[0]!];
    });
    expect(relativeError(a, b)).toBeLessThan(2e-6);
  });
});

function posteriorParams(q: Posterior): tf.Tensor[] {
  switch (q.family) {
    case 'diag':
      return [q.mean, q.std];
    case 'lowrank':
      return [q.mean, q.factor, q.diagStd];
    case 'full':
      return [q.mean, q.chol];
  }
}

function rebuild(q: Posterior, v: tf.Tensor[]): Posterior {
  switch (q.family) {
    case 'diag':
      return { family: 'diag', mean: v[0] as tf.Tensor2D, std: v[1] as tf.Tensor2D };
    case 'lowrank':
      return {
        family: 'lowrank',
        mean: v[0] as tf.Tensor2D,
        factor: v[1] as tf.Tensor3D,
        diagStd: v[2] as tf.Tensor2D,
      };
    case 'full':
      return { family: 'full', mean: v[0] as tf.Tensor2D, chol: v[1] as tf.Tensor3D };
  }
}

/** Adds `delta` to the first covariance parameter of point n (std[n][0], factor[n][0][0] or chol[n][0][0]). */
function perturbFirstCovarianceParameter(q: ref.RefPosterior, n: number, delta: number): ref.RefPosterior {
  const bump = (m: ref.Mat) => m.map((row, i) => row.map((v, j) => (i === 0 && j === 0 ? v + delta : v)));
  switch (q.family) {
    case 'diag':
      return { ...q, std: q.std.map((row, i) => (i === n ? row.map((v, j) => (j === 0 ? v + delta : v)) : row)) };
    case 'lowrank':
      return { ...q, factor: q.factor.map((m, i) => (i === n ? bump(m) : m)) };
    case 'full':
      return { ...q, chol: q.chol.map((m, i) => (i === n ? bump(m) : m)) };
  }
}
