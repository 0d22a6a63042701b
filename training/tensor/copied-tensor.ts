/**
 * A tensor of values that change afterwards (shared memory, reused buffers). wasm copies an array
 * into its heap when the tensor is made; other backends (cpu) keep the array itself, so it is copied
 * for them first.
 */
import * as tf from '@tensorflow/tfjs-core';

export function copiedTensor<R extends tf.Rank>(values: Float32Array, shape: tf.ShapeMap[R]): tf.Tensor<R> {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape);
}
