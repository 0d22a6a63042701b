/**
 * Initial dictionary: Gaussian directions with unit-length columns. The objective only sees W's
 * column directions (normalised inside), but Adam's steps are absolute: with unit columns a step of
 * size lr turns a column √D times faster than with N(0, 1) entries.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@entropy-sc/core/random';

/** @returns W [D, H] with unit-length columns */
export function randomDictionary(d: number, h: number, rng: Random): tf.Tensor2D {
  const w = Float32Array.from({ length: d * h }, () => rng.normal());
  for (let k = 0; k < h; k++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w[i * h + k]! ** 2;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < d; i++) w[i * h + k]! *= scale;
  }
  return tf.tensor2d(w, [d, h]);
}
