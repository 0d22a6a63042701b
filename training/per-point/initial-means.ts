/**
 * Starting means for non-amortized posteriors: the ridge least-squares codes
 * ν_n = (W̃ᵀW̃ + εI)⁻¹ W̃ᵀ x_n of the current dictionary. The H×H inverse is formed once in float64
 * (Gauss-Jordan; H is at most a few hundred); the products over points run in TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul } from '../tensor/mat-mul.ts';
import { tidyRead } from '../tensor/tidy-read.ts';

/**
 * @param x data [B, D]
 * @param wn W̃ [D, H] with unit columns
 * @param ridge ε (relative to the unit diagonal of W̃ᵀW̃); keeps overcomplete dictionaries solvable
 * @returns ν [B, H] row-major
 */
export function ridgeCodes(x: tf.Tensor2D, wn: tf.Tensor2D, ridge = 0.1): Float32Array {
  const h = wn.shape[1];
  const gram = tidyRead(() => matMul(tf.transpose(wn), wn));
  const a = Float64Array.from(gram);
  for (let k = 0; k < h; k++) a[k * h + k]! += ridge;
  const inverse = tf.tensor2d(Float32Array.from(invertSymmetric(a, h)), [h, h]);
  const codes = tidyRead(() => matMul(matMul(x, wn), inverse));
  inverse.dispose();
  return codes;
}

/** Inverse of a symmetric positive-definite matrix by Gauss-Jordan elimination. @param a [H, H] */
function invertSymmetric(a: Float64Array, h: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(h * h);
  for (let k = 0; k < h; k++) inv[k * h + k] = 1;
  for (let k = 0; k < h; k++) {
    // Positive definite: the diagonal pivot is positive, no row exchanges needed.
    const pivot = m[k * h + k]!;
    for (let j = 0; j < h; j++) {
      m[k * h + j]! /= pivot;
      inv[k * h + j]! /= pivot;
    }
    for (let i = 0; i < h; i++) {
      if (i === k) continue;
      const factor = m[i * h + k]!;
      if (factor === 0) continue;
      for (let j = 0; j < h; j++) {
        m[i * h + j]! -= factor * m[k * h + j]!;
        inv[i * h + j]! -= factor * inv[k * h + j]!;
      }
    }
  }
  return inv;
}
