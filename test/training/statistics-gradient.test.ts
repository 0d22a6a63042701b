/** f(S) and the analytic ∂f/∂S of training/objective/statistics-gradient.ts against tfjs autodiff of the objective. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random.ts';
import { annealedObjective, batchEntropies } from '../../training/objective/entropy-elbo.ts';
import type { PointStatistics } from '../../training/objective/point-statistics.ts';
import { objectiveGradient, objectiveOfSums, type StatisticSums } from '../../training/objective/statistics-gradient.ts';

function randomStatistics(seed: number, b: number, h: number) {
  const rng = new Random(seed);
  return {
    scaledM: Float32Array.from({ length: b * h }, () => 0.2 + rng.uniform()),
    squaredError: Float32Array.from({ length: b }, () => 1 + 5 * rng.uniform()),
    logDet: Float32Array.from({ length: b }, () => rng.normal() * 3),
  };
}

function sums(s: ReturnType<typeof randomStatistics>, b: number, h: number): StatisticSums {
  const scaledM = new Float64Array(h);
  for (let n = 0; n < b; n++) for (let k = 0; k < h; k++) scaledM[k]! += s.scaledM[n * h + k]!;
  return { scaledM, squaredError: s.squaredError.reduce((a, x) => a + x, 0), logDet: s.logDet.reduce((a, x) => a + x, 0) };
}

describe('the objective as a function of the statistic sums', () => {
  it.each([
    [7, 5, 9, 1, 1],
    [16, 3, 4, 2.5, 0.7],
    [1, 6, 25, 10, 1 / 7],
  ])('f(S) and ∂f/∂S agree with batchEntropies/annealedObjective and autodiff (B=%i, H=%i, D=%i, γ=%f, δ=%f)', (b, h, d, gamma, delta) => {
    const s = randomStatistics(b * 31 + h, b, h);
    const total = sums(s, b, h);
    const { value, grads } = tf.tidy(() => {
      const f = (scaledM: tf.Tensor, squaredError: tf.Tensor, logDet: tf.Tensor) => {
        const stats: PointStatistics = { scaledM: scaledM as tf.Tensor2D, squaredError: squaredError as tf.Tensor1D, logDet: logDet as tf.Tensor1D };
        return annealedObjective(batchEntropies(stats, d), gamma, delta);
      };
      const inputs = [tf.tensor2d(s.scaledM, [b, h]), tf.tensor1d(s.squaredError), tf.tensor1d(s.logDet)];
      const { value: v, grads: g } = tf.valueAndGrads(f)(inputs);
      return { value: v.dataSync()[0]!, grads: g.map((x) => x.dataSync() as Float32Array) };
    });
    const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-5 * Math.abs(expected));
    close(objectiveOfSums(total, b, d, gamma, delta), value);
    const g = objectiveGradient(total, b, d, gamma, delta);
    // ∂L/∂s_n is the same for every point n: f sees the data only through the sums
    for (let n = 0; n < b; n++) {
      for (let k = 0; k < h; k++) close(g.scaledM[k]!, grads[0]![n * h + k]!);
      close(g.squaredError, grads[1]![n]!);
      close(g.logDet, grads[2]![n]!);
    }
  });
});
