/**
 * M(a) = √(2/π)·exp(−a²/2) + a·erf(a/√2)  (Eq. 11): E|z| for z ~ N(a, 1).
 * Its derivative is erf(a/√2); the custom gradient uses that identity instead of differentiating the
 * two terms, whose derivatives cancel.
 */
import * as tf from '@tensorflow/tfjs-core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** @param a any shape; returns M(a) elementwise, with dM/da = erf(a/√2). */
export const mFunction: (a: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const erf = tf.erf(tf.mul(x, Math.SQRT1_2));
  save([erf]);
  const value = tf.add(tf.mul(SQRT_2_OVER_PI, tf.exp(tf.mul(-0.5, tf.square(x)))), tf.mul(x, erf));
  return { value, gradFunc: (dy, saved) => tf.mul(dy, saved[0]!) };
}) as (a: tf.Tensor) => tf.Tensor;
