/**
 * Whole-data-set entropy ELBO (math.md, "Whole-data-set evaluation"): the per-point statistics of
 * every batch are summed in float64, and Theorem 2's λ^opt, σ²_opt and the three entropies (Eq. 12,
 * 15, 17) are applied once to the totals. The mean of per-batch ELBOs would be a different, biased
 * number.
 */

import { UserError } from '../errors.ts';
import { annealedElbo, entropiesOfSums } from './entropies.ts';

/** The JSON report of `entropy-sc elbo` (cli.md). */
export interface ElboReport {
  elbo: number;
  entropy_q: number;
  entropy_prior: number;
  entropy_likelihood: number;
  lambda: number[];
  sigma2: number;
  n: number;
  d: number;
  h: number;
}

/** The per-point sufficient statistics of a batch of B points, as read from the backend. */
export interface PointStatisticArrays {
  /** s_nh M(ν_nh/s_nh) [B, H] row-major */
  scaledM: ArrayLike<number>;
  /** tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖² [B] */
  squaredError: ArrayLike<number>;
  /** log det T_n [B] */
  logDet: ArrayLike<number>;
}

export class ElboAccumulator {
  private n = 0;
  private readonly sumScaledM: Float64Array;
  private sumSquaredError = 0;
  private sumLogDet = 0;

  /** @param d data dimension D @param h number of latents H */
  constructor(
    readonly d: number,
    readonly h: number,
  ) {
    this.sumScaledM = new Float64Array(h);
  }

  /** Adds a batch of B points' statistics. */
  add({ scaledM, squaredError, logDet }: PointStatisticArrays): void {
    const b = squaredError.length;
    for (let i = 0; i < b; i++) {
      const row = i * this.h;
      for (let k = 0; k < this.h; k++) this.sumScaledM[k]! += scaledM[row + k]!;
      this.sumSquaredError += squaredError[i]!;
      this.sumLogDet += logDet[i]!;
    }
    this.n += b;
  }

  get count(): number {
    return this.n;
  }

  /** L_{γ,δ} over all points added so far; γ = δ = 1 gives the ELBO. */
  report(gamma = 1, delta = 1): ElboReport {
    const { n, d, h } = this;
    if (n === 0) throw new Error('ElboAccumulator.report: no points were added');
    const e = entropiesOfSums(
      { scaledM: this.sumScaledM, squaredError: this.sumSquaredError, logDet: this.sumLogDet },
      n,
      d,
    );
    return {
      elbo: annealedElbo(e, gamma, delta),
      entropy_q: e.entropyQ,
      entropy_prior: e.entropyPrior,
      entropy_likelihood: e.entropyLikelihood,
      lambda: Array.from(e.lambda),
      sigma2: e.sigma2,
      n,
      d,
      h,
    };
  }
}

/**
 * Returns `report` if all its numbers are finite, or throws one line naming the first that is not
 * and why (finite float32 statistics whose totals give σ² or a λ of 0, or overflow float64).
 * @param what what the report is of, e.g. "the ELBO of X.npy"
 */
export function checkFiniteReport<R extends ElboReport>(report: R, what: string): R {
  const bad = (name: string, value: number) =>
    new UserError(
      `${what} is not finite (${name} = ${value}): the posteriors are degenerate (an exact reconstruction gives σ² = 0, codes that are all 0 give λ = 0) or the values too large for float32`,
    );
  report.lambda.forEach((l, k) => {
    if (!(l > 0 && Number.isFinite(l))) throw bad(`lambda[${k}]`, l);
  });
  if (!(report.sigma2 > 0 && Number.isFinite(report.sigma2))) throw bad('sigma2', report.sigma2);
  for (const key of ['entropy_q', 'entropy_prior', 'entropy_likelihood', 'elbo'] as const)
    if (!Number.isFinite(report[key])) throw bad(key, report[key]);
  return report;
}
