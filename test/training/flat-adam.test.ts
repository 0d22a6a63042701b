/** Adam on flat vectors (optim/flat-adam.ts) against the TensorFlow.js Adam (optim/adam.ts) fed the same gradients. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random.ts';
import { Adam } from '../../training/optim/adam.ts';
import { adamStep } from '../../training/optim/flat-adam.ts';

describe('Adam on flat vectors', () => {
  it('takes the steps of optim/adam.ts (parameters and both moments, two rates, ten steps) to float32 rounding', () => {
    const rng = new Random(4);
    const sizes = [7, 5];
    const rates = [1e-3, 3e-2];
    const start = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
    const variables = start.map((values) => tf.variable(tf.tensor1d(values)));
    const adam = new Adam(variables, { learningRate: rates });
    const offsets = [0, sizes[0]!, sizes[0]! + sizes[1]!];
    const flat = { params: new Float32Array(offsets[2]!), m: new Float32Array(offsets[2]!), v: new Float32Array(offsets[2]!), offsets };
    start.forEach((values, i) => flat.params.set(values, offsets[i]!));
    try {
      for (let step = 1; step <= 10; step++) {
        const gradient = Float32Array.from({ length: offsets[2]! }, () => rng.normal() * 10 ** rng.normal());
        // L = Σ gradient · θ has the gradient `gradient`
        tf.tidy(() => adam.update(() => tf.addN(variables.map((v, i) => tf.sum(tf.mul(v, tf.tensor1d(gradient.subarray(offsets[i]!, offsets[i + 1]!)))))) as tf.Scalar, 'maximize'));
        adamStep(flat, gradient, step, rates);
      }
      const state = adam.getState();
      variables.forEach((v, i) => {
        const range = [offsets[i]!, offsets[i + 1]!] as const;
        const close = (actual: Float32Array, expected: Float32Array, what: string) =>
          expected.forEach((e, k) => expect(Math.abs(actual[k]! - e), `${what}[${k}]`).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(e))));
        close(flat.params.subarray(...range), v.dataSync() as Float32Array, `variable ${i}`);
        close(flat.m.subarray(...range), state.moments[i]!.m, `m ${i}`);
        close(flat.v.subarray(...range), state.moments[i]!.v, `v ${i}`);
      });
    } finally {
      adam.dispose();
      tf.dispose(variables);
    }
  });
});
