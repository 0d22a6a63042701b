/**
 * Fully connected layer y = x·W + b whose weights live in tf.Variables, initialised like PyTorch's
 * nn.Linear (uniform in ±1/√fan_in for weights and bias), reproducibly from a seeded generator.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@entropy-sc/core/random';
import { dataMatMul, matMul } from '../tensor/mat-mul.ts';

export interface Dense {
  /** [in, out] */
  weight: tf.Variable<tf.Rank.R2>;
  /** [out] */
  bias: tf.Variable<tf.Rank.R1>;
}

export function createDense(inputs: number, outputs: number, rng: Random): Dense {
  const bound = 1 / Math.sqrt(inputs);
  const uniform = (size: number) => Float32Array.from({ length: size }, () => (2 * rng.uniform() - 1) * bound);
  return {
    weight: tf.variable(tf.tensor2d(uniform(inputs * outputs), [inputs, outputs])),
    bias: tf.variable(tf.tensor1d(uniform(outputs))),
  };
}

/**
 * @param x [B, in]
 * @param input whether x is the data (no gradient flows to it)
 * @returns [B, out]
 */
export function applyDense(layer: Dense, x: tf.Tensor2D, input = false): tf.Tensor2D {
  return tf.add((input ? dataMatMul : matMul)(x, layer.weight), layer.bias);
}
