/**
 * The entropy ELBO as a function of the sufficient statistics' sums, in float64: Theorem 2's
 * λ^opt and σ²_opt, the three entropies (Eq. 12) and L_{γ,δ} (Eq. 15, 17). The whole-data
 * accumulator applies it to its sums; the tfjs objective (training/objective/entropy-elbo.ts)
 * mirrors it for autodiff.
 */

/** log(2πe), the entropy constant of a unit Gaussian per dimension (Eq. 12). */
export const LOG_2PI_E = Math.log(2 * Math.PI * Math.E);

/** Sums over N points (a data set, a batch or a shard of one), in float64. */
export interface StatisticSums {
  /** Σ_n s_nh M(ν_nh/s_nh) [H] */
  scaledM: Float64Array;
  /** Σ_n tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖² */
  squaredError: number;
  /** Σ_n log det T_n */
  logDet: number;
}

export interface Entropies {
  /** λ_h^opt = (1/N) Σ_n s_nh M(ν_nh/s_nh) [H] (Theorem 2) */
  lambda: Float64Array;
  /** σ²_opt = (1/(N D)) Σ_n [tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖²] (Theorem 2) */
  sigma2: number;
  /** (1/N) Σ_n H[q_n] = ½ (H log(2πe) + (1/N) Σ_n log det T_n) */
  entropyQ: number;
  /** H[p(z)] = Σ_h log(2e λ_h) */
  entropyPrior: number;
  /** H[p(x|z)] = (D/2) log(2πe σ²) */
  entropyLikelihood: number;
}

/** @param n number of points summed @param d data dimension D */
export function entropiesOfSums(s: StatisticSums, n: number, d: number): Entropies {
  const h = s.scaledM.length;
  const lambda = s.scaledM.map((sum) => sum / n);
  const sigma2 = s.squaredError / (n * d);
  let entropyPrior = 0;
  for (let k = 0; k < h; k++) entropyPrior += Math.log(2 * Math.E * lambda[k]!);
  return {
    lambda,
    sigma2,
    entropyQ: 0.5 * (h * LOG_2PI_E + s.logDet / n),
    entropyPrior,
    entropyLikelihood: (d / 2) * Math.log(2 * Math.PI * Math.E * sigma2),
  };
}

/** L_{γ,δ} = mean H[q] − γ H[p(z)] − δ H[p(x|z)] (Eq. 17); γ = δ = 1 is the ELBO (Eq. 15). */
export function annealedElbo(e: Entropies, gamma = 1, delta = 1): number {
  return e.entropyQ - gamma * e.entropyPrior - delta * e.entropyLikelihood;
}
