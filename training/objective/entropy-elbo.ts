/**
 * The entropy ELBO on a minibatch (Eq. 15, 17), differentiable: λ^opt and σ²_opt are the batch's
 * own averages (Theorem 2), as in the authors' training code. Whole-data reports instead sum the
 * point statistics over all batches in float64 (`src/elbo/elbo-accumulator.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LOG_2PI_E } from '@entropy-sc/core/elbo/entropies';
import type { PointStatistics } from './point-statistics.ts';

export interface BatchEntropies {
  /** (1/B) Σ_n H[q_n] */
  entropyQ: tf.Scalar;
  /** H[p(z)] = Σ_h log(2e λ_h) */
  entropyPrior: tf.Scalar;
  /** H[p(x|z)] = (D/2) log(2πe σ²) */
  entropyLikelihood: tf.Scalar;
  /** λ^opt [H] */
  lambda: tf.Tensor1D;
  /** σ²_opt */
  sigma2: tf.Scalar;
}

/** @param d data dimension D */
export function batchEntropies(stats: PointStatistics, d: number): BatchEntropies {
  const h = stats.scaledM.shape[1];
  const lambda = tf.mean(stats.scaledM, 0) as tf.Tensor1D;
  const sigma2 = tf.div(tf.mean(stats.squaredError), d) as tf.Scalar;
  return {
    entropyQ: tf.mul(0.5, tf.add(h * LOG_2PI_E, tf.mean(stats.logDet))) as tf.Scalar,
    entropyPrior: tf.sum(tf.log(tf.mul(2 * Math.E, lambda))) as tf.Scalar,
    entropyLikelihood: tf.mul(d / 2, tf.log(tf.mul(2 * Math.PI * Math.E, sigma2))) as tf.Scalar,
    lambda,
    sigma2,
  };
}

/** L_{γ,δ} = mean H[q] − γ H[p(z)] − δ H[p(x|z)] (Eq. 17); γ = δ = 1 is the ELBO (Eq. 15). */
export function annealedObjective(e: BatchEntropies, gamma = 1, delta = 1): tf.Scalar {
  return tf.sub(tf.sub(e.entropyQ, tf.mul(gamma, e.entropyPrior)), tf.mul(delta, e.entropyLikelihood)) as tf.Scalar;
}
