/**
 * Computes a tensor in a tf.tidy scope and reads its values out. Returning the typed array from the
 * tidy instead costs time linear in its length (tidy walks its result looking for tensors to keep:
 * ~100 ms for 512×512 values), so the read happens outside.
 */
import * as tf from '@tensorflow/tfjs-core';

export function tidyRead(f: () => tf.Tensor): Float32Array {
  const tensor = tf.tidy(f);
  const values = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return values;
}
