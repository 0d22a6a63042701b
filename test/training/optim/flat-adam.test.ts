/**
 * Adam on flat vectors (optim/flat-adam.ts) against the TensorFlow.js Adam (optim/adam.ts) fed the
 * same gradients, and split over threads (optim/parallel-adam.ts) against itself on one thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { Adam } from '../../../training/optim/adam.ts';
import { adamStep } from '../../../training/optim/flat-adam.ts';
import { ParallelAdam } from '../../../training/optim/parallel-adam.ts';

describe('Adam on flat vectors', () => {
  it('takes the steps of optim/adam.ts (parameters and both moments, two rates, ten steps) to float32 rounding', () => {
    const rng = new Random(4);
    const sizes = [7, 5];
    const rates = [1e-3, 3e-2];
    const start = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
    const variables = start.map((values) => tf.variable(tf.tensor1d(values)));
    const adam = new Adam(variables, { learningRate: rates });
    const offsets = [0, sizes[0]!, sizes[0]! + sizes[1]!];
    const flat = {
      params: new Float32Array(offsets[2]!),
      m: new Float32Array(offsets[2]!),
      v: new Float32Array(offsets[2]!),
      offsets,
    };
    start.forEach((values, i) => flat.params.set(values, offsets[i]!));
    try {
      for (let step = 1; step <= 10; step++) {
        const gradient = Float32Array.from({ length: offsets[2]! }, () => rng.normal() * 10 ** rng.normal());
        // L = Σ gradient · θ has the gradient `gradient`
        tf.tidy(() =>
          adam.update(
            () =>
              tf.addN(
                variables.map((v, i) =>
                  tf.sum(tf.mul(v, tf.tensor1d(gradient.subarray(offsets[i]!, offsets[i + 1]!)))),
                ),
              ) as tf.Scalar,
            'maximize',
          ),
        );
        adamStep(flat, gradient, step, rates);
      }
      const state = adam.getState();
      variables.forEach((v, i) => {
        const range = [offsets[i]!, offsets[i + 1]!] as const;
        const close = (actual: Float32Array, expected: Float32Array, what: string) =>
          expected.forEach((e, k) =>
            expect(Math.abs(actual[k]! - e), `${what}[${k}]`).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(e))),
          );
        close(flat.params.subarray(...range), v.dataSync() as Float32Array, `variable ${i}`);
        close(flat.m.subarray(...range), state.moments[i]!.m, `m ${i}`);
        close(flat.v.subarray(...range), state.moments[i]!.v, `v ${i}`);
      });
    } finally {
      adam.dispose();
      tf.dispose(variables);
    }
  });

  it('split over 2 and 3 threads, takes the one-thread steps bit for bit (ranges that cut variables)', async () => {
    const rng = new Random(5);
    const offsets = [0, 11, 12, 40, 97];
    const rates = [1e-3, 3e-2, 1e-2, 5e-3];
    const start = Float32Array.from({ length: 97 }, () => rng.normal());
    const gradients = Array.from({ length: 6 }, () =>
      Float32Array.from({ length: 97 }, () => rng.normal() * 10 ** rng.normal()),
    );
    const serial = { params: start.slice(), m: new Float32Array(97), v: new Float32Array(97), offsets };
    gradients.forEach((g, k) => adamStep(serial, g, k + 1, rates));
    for (const threads of [2, 3]) {
      const adam = await ParallelAdam.create(offsets, threads);
      try {
        adam.state.params.set(start);
        for (const [k, g] of gradients.entries()) {
          adam.gradient.set(g);
          await adam.step(k + 1, rates);
        }
        expect(Array.from(adam.state.params), `${threads} threads: parameters`).toEqual(Array.from(serial.params));
        expect(Array.from(adam.state.m), `${threads} threads: m`).toEqual(Array.from(serial.m));
        expect(Array.from(adam.state.v), `${threads} threads: v`).toEqual(Array.from(serial.v));
      } finally {
        await adam.close();
      }
    }
  });
});
