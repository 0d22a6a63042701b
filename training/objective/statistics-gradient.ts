/**
 * The minibatch objective L_{γ,δ} (Eq. 17) as a function f(S) of the batch sums of the point
 * statistics, S = (Σ_n scaledM_n [H], Σ_n squaredError_n, Σ_n logDet_n), and its gradient ∂f/∂S.
 * Because L depends on the data only through S, its exact gradient splits over shards of a batch:
 * ∇θ L = Σ_k ∇θ [g · S_k(θ)] with g = ∂f/∂S at the whole batch's S (data-parallel training).
 */

import { annealedElbo, entropiesOfSums, type StatisticSums } from '@entropy-sc/core/elbo/entropies';

export type { StatisticSums };

/** f(S): L_{γ,δ} of a batch of B points from its sums (src/elbo/entropies.ts). */
export function objectiveOfSums(s: StatisticSums, b: number, d: number, gamma = 1, delta = 1): number {
  return annealedElbo(entropiesOfSums(s, b, d), gamma, delta);
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
