/**
 * The amortization gap's refinement (training/gap/refine-batch.ts) against the float64 reference of
 * math.md: no point gets worse, refined diagonal posteriors are stationary (finite differences of the
 * reference ℓ_n in ν and τ), random perturbations lower ℓ_n, an encoder that outputs the optimum has
 * no gap, and richer families reach higher refined ELBOs on the same Θ and data.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import type { PosteriorArrays } from '../../../training/objective/posterior-arrays.ts';
import type { FrozenModel } from '../../../training/artifacts/frozen-model.ts';
import { refineBatch } from '../../../training/gap/refine-batch.ts';
import {
  normalize,
  pointElbo as referencePointElbo,
  type Mat,
  type RefPosterior,
} from '../../helpers/reference-elbo.ts';

const D = 9;
const H = 6;
const N = 40;

/** Data from a sparse linear model, its dictionary with unit columns, and a frozen Θ near its optimum. */
function problem(seed: number): { x: Float32Array; model: FrozenModel; w: Mat } {
  const rng = new Random(seed);
  const w = normalize(Array.from({ length: D }, () => Array.from({ length: H }, () => rng.normal())));
  const x = new Float32Array(N * D);
  for (let n = 0; n < N; n++) {
    const z = Array.from({ length: H }, () => (rng.uniform() < 0.3 ? 2 * rng.normal() : 0));
    for (let k = 0; k < D; k++) x[n * D + k] = w[k]!.reduce((s, wk, i) => s + wk * z[i]!, 0) + 0.2 * rng.normal();
  }
  return {
    x,
    w,
    model: {
      dictionary: Float32Array.from(w.flat()),
      lambda: Float64Array.from({ length: H }, (_, i) => 0.4 + 0.1 * i),
      sigma2: 0.05,
      d: D,
      h: H,
    },
  };
}

/** A poor encoder: means W̃ᵀx shrunk and perturbed, spreads 0.3. */
function poorEncoder(x: Float32Array, w: Mat, seed: number): PosteriorArrays & { family: 'diag' } {
  const rng = new Random(seed);
  const mean = new Float32Array(N * H);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < H; i++)
      mean[n * H + i] = 0.5 * w.reduce((s, row, k) => s + row[i]! * x[n * D + k]!, 0) + 0.3 * rng.normal();
  return { family: 'diag', mean, std: new Float32Array(N * H).fill(0.3) };
}

const rows = (a: Float32Array, cols: number): Mat =>
  Array.from({ length: a.length / cols }, (_, n) => Array.from(a.subarray(n * cols, (n + 1) * cols)));

/** The reference ℓ_n of point n with a diagonal posterior (ν, τ). */
function referenceDiag(x: Float32Array, w: Mat, model: FrozenModel, n: number, mean: number[], std: number[]): number {
  const q: RefPosterior = { family: 'diag', mean: [mean], std: [std] };
  return referencePointElbo(
    [Array.from(x.subarray(n * D, (n + 1) * D))],
    w,
    q,
    Array.from(model.lambda),
    model.sigma2,
  )[0]!;
}

describe('refineBatch', () => {
  const { x, model, w } = problem(3);
  const start = poorEncoder(x, w, 4);
  const result = refineBatch(x, model, start, 'diag');

  it('never lowers a point: every per-point gap is ≥ 0, and a poor encoder leaves a clear gap', () => {
    const gaps = Array.from(result.refined, (r, i) => r - result.amortized[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    expect(gaps.reduce((a, b) => a + b, 0) / N).toBeGreaterThan(0.5);
    // The amortized ℓ_n is the reference's for the encoder's output.
    for (const n of [0, 17, 39]) {
      const expected = referenceDiag(
        x,
        w,
        model,
        n,
        Array.from(start.mean.subarray(n * H, (n + 1) * H)),
        Array.from(start.std.subarray(n * H, (n + 1) * H)),
      );
      expect(Math.abs(result.amortized[n]! - expected)).toBeLessThan(1e-4 * Math.abs(expected) + 1e-4);
    }
  });

  it('ends at a stationary point: small gradient, ∂ℓ/∂ν = ∂ℓ/∂τ = 0 by float64 finite differences', () => {
    // L-BFGS stops where float32 rounding of ℓ_n hides further gains (about 1e-6 nats per point).
    expect(['gradient', 'change', 'line-search']).toContain(result.reason);
    expect(result.gradientNorm).toBeLessThan(0.05);
    expect(largestDerivative(result.posterior)).toBeLessThan(0.05);
    expect(largestDerivative(start)).toBeGreaterThan(1);
  });

  /** max over points, latents and both ν and τ of |∂ℓ_n/∂·| by central differences of the reference */
  function largestDerivative(posterior: PosteriorArrays): number {
    const q = posterior as PosteriorArrays & { family: 'diag' };
    const eps = 1e-5;
    let largest = 0;
    for (let n = 0; n < N; n += 3) {
      const mean = Array.from(q.mean.subarray(n * H, (n + 1) * H), Number);
      const std = Array.from(q.std.subarray(n * H, (n + 1) * H), Number);
      for (let i = 0; i < H; i++) {
        for (const v of [mean, std]) {
          const keep = v[i]!;
          v[i] = keep + eps;
          const up = referenceDiag(x, w, model, n, mean, std);
          v[i] = keep - eps;
          const down = referenceDiag(x, w, model, n, mean, std);
          v[i] = keep;
          largest = Math.max(largest, Math.abs((up - down) / (2 * eps)));
        }
      }
    }
    return largest;
  }

  it('is a maximum: random perturbations of the refined posteriors lower the reference ℓ_n', () => {
    const q = result.posterior as PosteriorArrays & { family: 'diag' };
    const rng = new Random(9);
    for (let n = 0; n < N; n += 4) {
      const mean = Array.from(q.mean.subarray(n * H, (n + 1) * H), Number);
      const std = Array.from(q.std.subarray(n * H, (n + 1) * H), Number);
      const best = referenceDiag(x, w, model, n, mean, std);
      for (let trial = 0; trial < 5; trial++) {
        const m2 = mean.map((v) => v + 0.02 * rng.normal());
        const s2 = std.map((v) => v * Math.exp(0.05 * rng.normal()));
        expect(referenceDiag(x, w, model, n, m2, s2)).toBeLessThan(best);
      }
    }
  });

  it('finds no gap for an encoder that outputs the refined optimum', () => {
    const again = refineBatch(x, model, result.posterior, 'diag');
    const gaps = Array.from(again.refined, (r, i) => r - again.amortized[i]!);
    expect(Math.max(...gaps)).toBeLessThan(1e-3);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    for (let n = 0; n < N; n++) expect(Math.abs(again.amortized[n]! - result.refined[n]!)).toBeLessThan(1e-4);
  });

  it('reaches refined ELBOs full ≥ low-rank ≥ diagonal on the same Θ and data', () => {
    const rng = new Random(5);
    const r = 2;
    const diag = result.posterior as PosteriorArrays & { family: 'diag' };
    // A low-rank start at the diagonal optimum with small factors (V = 0 is a stationary point).
    const lowStart: PosteriorArrays = {
      family: 'lowrank',
      mean: diag.mean,
      diagStd: diag.std,
      factor: Float32Array.from({ length: N * H * r }, () => 0.01 * rng.normal()),
      rank: r,
    };
    const low = refineBatch(x, model, lowStart, 'lowrank');
    const full = refineBatch(x, model, low.posterior, 'full');
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(low.refined)).toBeGreaterThan(mean(result.refined));
    expect(mean(full.refined)).toBeGreaterThan(mean(low.refined));
    for (let n = 0; n < N; n++) {
      expect(low.refined[n]!).toBeGreaterThanOrEqual(result.refined[n]! - 1e-4);
      expect(full.refined[n]!).toBeGreaterThanOrEqual(low.refined[n]! - 1e-4);
    }
    // and the full family's ℓ_n is the reference's for its Cholesky factors
    const q = full.posterior as PosteriorArrays & { family: 'full' };
    const ref = referencePointElbo(
      rows(x, D),
      w,
      {
        family: 'full',
        mean: rows(q.mean, H),
        chol: Array.from({ length: N }, (_, n) => rows(q.chol.subarray(n * H * H, (n + 1) * H * H), H)),
      },
      Array.from(model.lambda),
      model.sigma2,
    );
    for (let n = 0; n < N; n += 7) expect(Math.abs(full.refined[n]! - ref[n]!)).toBeLessThan(1e-3);
  });
});
