/**
 * Per-point sufficient statistics of the entropy ELBO. Every ELBO in the project is assembled from
 * sums of these over points (Theorem 2): a minibatch objective sums one batch, a whole-data report
 * sums all batches in float64.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul } from '../tensor/mat-mul.ts';
import { mFunction } from './m-function.ts';
import { logDetCovariance, marginalVariance, traceGramCovariance, type Posterior } from './posterior.ts';

export interface PointStatistics {
  /** s_nh · M(ν_nh / s_nh) with s_nh = √T_n,hh: λ^opt is its mean over points. [B, H] */
  scaledM: tf.Tensor2D;
  /** tr(W̃ᵀW̃ T_n) + ‖W̃ν_n − x_n‖²: σ²_opt is its mean over points, divided by D. [B] */
  squaredError: tf.Tensor1D;
  /** log det T_n. [B] */
  logDet: tf.Tensor1D;
}

/** W̃ = W / ‖W_{:,h}‖ (the objective is invariant to the scale of W's columns). @param w [D, H] */
export function normalizeColumns(w: tf.Tensor2D): tf.Tensor2D {
  return tf.div(w, tf.sqrt(tf.sum(tf.square(w), 0, true)));
}

/**
 * @param x data [B, D]
 * @param wn dictionary W̃ [D, H] with unit columns
 * @param q posteriors of the B points
 */
export function pointStatistics(x: tf.Tensor2D, wn: tf.Tensor2D, q: Posterior): PointStatistics {
  const s = tf.sqrt(marginalVariance(q));
  const scaledM = tf.mul(s, mFunction(tf.div(q.mean, s))) as tf.Tensor2D;
  const residual = tf.sub(matMul(q.mean, tf.transpose(wn)), x);
  const squaredError: tf.Tensor1D = tf.add(traceGramCovariance(q, wn), tf.sum(tf.square(residual), 1));
  return { scaledM, squaredError, logDet: logDetCovariance(q) };
}
