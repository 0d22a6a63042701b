/**
 * log det of a batch of small symmetric positive-definite matrices (the r×r capacitance matrices of
 * the low-rank family), through an unrolled, differentiable Cholesky factorisation: tfjs has no
 * batched Cholesky or determinant. Cost O(r³) elementwise operations on [B] vectors.
 */
import * as tf from '@tensorflow/tfjs-core';

/** @param a [B, r, r] symmetric positive definite @returns log det a, [B] */
export function choleskyLogDet(a: tf.Tensor3D): tf.Tensor1D {
  const r = a.shape[1];
  // tfjs has no gradient for unstack over an axis of size 1: a 1×1 matrix is its own determinant.
  if (r === 1) return tf.log(tf.reshape(a, [-1])) as tf.Tensor1D;
  const entries = tf.unstack(a, 1).map((row) => tf.unstack(row, 1)) as tf.Tensor1D[][];
  const l: tf.Tensor1D[][] = [];
  let logDet: tf.Tensor1D = tf.zerosLike(entries[0]![0]!);
  for (let i = 0; i < r; i++) {
    l.push([]);
    for (let j = 0; j <= i; j++) {
      let value = entries[i]![j]!;
      for (let k = 0; k < j; k++) value = tf.sub(value, tf.mul(l[i]![k]!, l[j]![k]!));
      if (i === j) {
        l[i]!.push(tf.sqrt(value));
        logDet = tf.add(logDet, tf.log(value)); // log L_ii² = log(value)
      } else {
        l[i]!.push(tf.div(value, l[j]![j]!));
      }
    }
  }
  return logDet;
}
