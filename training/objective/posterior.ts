/**
 * The three Gaussian posterior families q_n = N(ν_n, T_n) of math.md, for a batch of B points, and
 * the three quantities the ELBO needs from T_n (the table in math.md): marginal variances T_n,hh,
 * log det T_n and tr(W̃ᵀW̃ T_n). No H×H matrix is formed for the diagonal and low-rank families.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul } from '../tensor/mat-mul.ts';
import { choleskyLogDet } from './small-cholesky.ts';

export type PosteriorFamily = 'diag' | 'lowrank' | 'full';

export type Posterior =
  /** T = diag(τ²); @param std τ [B, H], positive */
  | { family: 'diag'; mean: tf.Tensor2D; std: tf.Tensor2D }
  /** T = V Vᵀ + diag(d²); @param factor V [B, H, r]; @param diagStd d [B, H], positive */
  | { family: 'lowrank'; mean: tf.Tensor2D; factor: tf.Tensor3D; diagStd: tf.Tensor2D }
  /** T = L Lᵀ; @param chol L [B, H, H], only the lower triangle is read */
  | { family: 'full'; mean: tf.Tensor2D; chol: tf.Tensor3D };

/** The same posteriors with `f` applied to each of their tensors (all have points on axis 0). */
export function mapPosterior(q: Posterior, f: <T extends tf.Tensor>(t: T) => T): Posterior {
  switch (q.family) {
    case 'diag':
      return { family: 'diag', mean: f(q.mean), std: f(q.std) };
    case 'lowrank':
      return { family: 'lowrank', mean: f(q.mean), factor: f(q.factor), diagStd: f(q.diagStd) };
    case 'full':
      return { family: 'full', mean: f(q.mean), chol: f(q.chol) };
  }
}

/**
 * L with its strict upper triangle zeroed. @param chol [B, H, H]
 * A constant 0/1 mask: tf.linalg.bandPart runs as unstack/stack/select in tfjs-wasm, ~20× slower.
 */
export function lowerTriangle(chol: tf.Tensor3D): tf.Tensor3D {
  const h = chol.shape[1];
  const mask = Float32Array.from({ length: h * h }, (_, k) => (Math.floor(k / h) >= k % h ? 1 : 0));
  return tf.mul(chol, tf.tensor2d(mask, [h, h]));
}

/** T_n,hh. @returns [B, H] */
export function marginalVariance(q: Posterior): tf.Tensor2D {
  switch (q.family) {
    case 'diag':
      return tf.square(q.std);
    case 'lowrank':
      return tf.add(tf.sum(tf.square(q.factor), 2), tf.square(q.diagStd));
    case 'full':
      return tf.sum(tf.square(lowerTriangle(q.chol)), 2);
  }
}

/** log det T_n. @returns [B] */
export function logDetCovariance(q: Posterior): tf.Tensor1D {
  switch (q.family) {
    case 'diag':
      return tf.sum(tf.log(tf.square(q.std)), 1);
    case 'lowrank': {
      // Matrix determinant lemma: det(VVᵀ + D) = det(D) · det(I_r + Vᵀ D⁻¹ V), D = diag(d²).
      const scaled: tf.Tensor3D = tf.div(q.factor, tf.expandDims(q.diagStd, 2)); // D^{-1/2} V  [B, H, r]
      const r = q.factor.shape[2];
      const capacitance: tf.Tensor3D = tf.add(tf.eye(r), transposeProduct(scaled)); // [B, r, r]
      return tf.add(tf.sum(tf.log(tf.square(q.diagStd)), 1), choleskyLogDet(capacitance));
    }
    case 'full': {
      const h = q.chol.shape[1];
      const diagonal = tf.mul(q.chol, tf.expandDims(tf.eye(h), 0)); // keeps L_hh, zeros elsewhere
      return tf.sum(tf.log(tf.square(tf.sum(diagonal, 2))), 1);
    }
  }
}

/**
 * tr(W̃ᵀW̃ T_n) for unit-norm columns of W̃.
 * @param wn W̃ [D, H] with unit columns
 * @returns [B]
 */
export function traceGramCovariance(q: Posterior, wn: tf.Tensor2D): tf.Tensor1D {
  switch (q.family) {
    case 'diag':
      return tf.sum(tf.square(q.std), 1);
    case 'lowrank':
      return tf.add(sumSquaresPerPoint(projectFactor(wn, q.factor)), tf.sum(tf.square(q.diagStd), 1));
    case 'full':
      return sumSquaresPerPoint(projectFactor(wn, lowerTriangle(q.chol)));
  }
}

/** W̃ A_n for every point. @param a [B, H, k] @returns [B, D, k] */
function projectFactor(wn: tf.Tensor2D, a: tf.Tensor3D): tf.Tensor3D {
  const [b, h, k] = a.shape;
  // One plain [D, H] × [H, B·k] product (fast in tfjs-wasm, unlike batched or transposed ones).
  const stacked: tf.Tensor2D = tf.reshape(tf.transpose(a, [1, 0, 2]), [h, b * k]);
  const product = matMul(wn, stacked); // [D, B·k]
  return tf.transpose(tf.reshape(product, [wn.shape[0], b, k]), [1, 0, 2]);
}

/** Aᵀ A per point. @param a [B, H, r] @returns [B, r, r] */
function transposeProduct(a: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(tf.transpose(a, [0, 2, 1]), a);
}

function sumSquaresPerPoint(a: tf.Tensor3D): tf.Tensor1D {
  return tf.sum(tf.square(a), [1, 2]);
}
