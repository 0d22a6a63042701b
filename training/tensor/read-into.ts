/**
 * Copies a tensor's values into an existing array. tensor.dataSync() allocates a new array on every
 * read (for the data-parallel step's gradients, megabytes per step that the garbage collector then
 * has to reclaim); on wasm the values are read straight from the module's heap instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** @param out receives t's values at `offset` (t is float32) */
export function readInto(t: tf.Tensor, out: Float32Array, offset = 0): void {
  const values = tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm).typedArrayFromHeap(t) : t.dataSync();
  out.set(values as Float32Array, offset);
}
