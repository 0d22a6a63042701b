/** A minibatch as a tensor: the given rows of a row-major [N, D] array, copied in JavaScript. */
import * as tf from '@tensorflow/tfjs-core';

/** @param x rows [N, D] @param rows indices into x @returns [rows.length, D] */
export function gatherRows(x: Float32Array, d: number, rows: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i]! * d, (rows[i]! + 1) * d), i * d);
  return tf.tensor2d(out, [rows.length, d]);
}
