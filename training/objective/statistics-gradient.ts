/**
 * The minibatch objective L_{γ,δ} (Eq. 17) as a function f(S) of the batch sums of the point
 * statistics, S = (Σ_n scaledM_n [H], Σ_n squaredError_n, Σ_n logDet_n), and its gradient ∂f/∂S.
 * Because L depends on the data only through S, its exact gradient splits over shards of a batch:
 * ∇θ L = Σ_k ∇θ [g · S_k(θ)] with g = ∂f/∂S at the whole batch's S (data-parallel training).
 */

const LOG_2PI_E = Math.log(2 * Math.PI * Math.E);

/** Sums over the B points of a batch (or of a shard of it), in float64. */
export interface StatisticSums {
  /** Σ_n s_nh M(ν_nh/s_nh) [H] */
  scaledM: Float64Array;
  /** Σ_n tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖² */
  squaredError: number;
  /** Σ_n log det T_n */
  logDet: number;
}

/** f(S) = ½(H log 2πe + ΣlogDet/B) − γ Σ_h log(2e ΣscaledM_h/B) − δ (D/2) log(2πe ΣsquaredError/(B D)). */
export function objectiveOfSums(s: StatisticSums, b: number, d: number, gamma = 1, delta = 1): number {
  const h = s.scaledM.length;
  const entropyQ = 0.5 * (h * LOG_2PI_E + s.logDet / b);
  let entropyPrior = 0;
  for (let k = 0; k < h; k++) entropyPrior += Math.log((2 * Math.E * s.scaledM[k]!) / b);
  const entropyLikelihood = (d / 2) * Math.log((2 * Math.PI * Math.E * s.squaredError) / (b * d));
  return entropyQ - gamma * entropyPrior - delta * entropyLikelihood;
}

/**
 * ∂f/∂S: −γ/ΣscaledM_h, −δD/(2 ΣsquaredError), 1/(2B). The same for every point, since f sees the
 * data only through the sums.
 */
export function objectiveGradient(s: StatisticSums, b: number, d: number, gamma = 1, delta = 1): StatisticSums {
  return {
    scaledM: s.scaledM.map((sum) => -gamma / sum),
    squaredError: (-delta * d) / (2 * s.squaredError),
    logDet: 1 / (2 * b),
  };
}
