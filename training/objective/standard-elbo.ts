/**
 * The standard ELBO ℓ_n of each point with the model parameters Θ = (λ, W̃, σ²) frozen (Eq. 4,
 * Appendix B.3): used for held-out data, per-point scores, E-steps and the amortization gap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LOG_2PI_E } from '@entropy-sc/core/elbo/entropies';
import type { PointStatistics } from './point-statistics.ts';

export interface FrozenParameters {
  /** prior scales λ [H] */
  lambda: tf.Tensor1D;
  /** noise variance σ² */
  sigma2: number;
}

/**
 * ℓ_n = −(D/2) log(2πσ²) − [tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖²]/(2σ²)
 *       − Σ_h [log(2λ_h) + s_nh M(ν_nh/s_nh)/λ_h] + H[q_n]
 * @param stats point statistics computed with the frozen W̃
 * @param d data dimension D
 * @returns ℓ_n [B]
 */
export function pointElbo(stats: PointStatistics, theta: FrozenParameters, d: number): tf.Tensor1D {
  const h = stats.scaledM.shape[1];
  const likelihood = tf.sub(
    -(d / 2) * Math.log(2 * Math.PI * theta.sigma2),
    tf.div(stats.squaredError, 2 * theta.sigma2),
  );
  const prior = tf.neg(tf.add(tf.sum(tf.log(tf.mul(2, theta.lambda))), tf.sum(tf.div(stats.scaledM, theta.lambda), 1)));
  const entropy = tf.mul(0.5, tf.add(h * LOG_2PI_E, stats.logDet));
  return tf.add(tf.add(likelihood, prior), entropy) as tf.Tensor1D;
}
