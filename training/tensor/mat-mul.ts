/**
 * Matrix product whose gradient uses only plain (untransposed) products.
 * In tfjs-wasm, matMul with transposeA/transposeB runs at 1-2 GFLOP/s against ~30 GFLOP/s for the
 * plain product, and autodiff of matMul emits exactly those transposed products (design.md). An
 * explicit tf.transpose costs under a millisecond for the sizes used here.
 */
import * as tf from '@tensorflow/tfjs-core';

/** @param a [M, K] @param b [K, N] @returns a·b [M, N] */
export const matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy, saved) => {
        const [sx, sy] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        return [tf.matMul(g, tf.transpose(sy)), tf.matMul(tf.transpose(sx), g)];
      },
    };
  },
) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * x·b for an x that needs no gradient (the data, at the encoder's input): its backward pass forms
 * only b's gradient xᵀ·dy, not the product and transpose that x's would cost.
 * @param x [M, K] @param b [K, N] @returns [M, N]
 */
export function dataMatMul(x: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [w, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([x]); // the forward pass's tensors are gone by the backward pass unless saved
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy, [sx]) => tf.matMul(tf.transpose(sx as tf.Tensor2D), dy as tf.Tensor2D),
    };
  }) as (b: tf.Tensor2D) => tf.Tensor2D;
  return product(b);
}
