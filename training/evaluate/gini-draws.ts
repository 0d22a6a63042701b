/**
 * The Gini index (core metrics/gini.ts) of posterior samples, row by row. Free of TensorFlow.js, so
 * that the statistics workers draw the samples of their own batches (statistics-worker.ts).
 */
import { gini } from '@entropy-sc/core/metrics/gini';
import type { Random } from '@entropy-sc/core/random';
import { samplePosteriorArrays, type AmortizedPosteriorArrays } from '../objective/sample-posterior-arrays.ts';

/** The Gini index of every row of z [B, H]. */
export function rowGini(z: Float32Array, h: number): Float64Array {
  const values = new Float64Array(z.length / h);
  for (let row = 0; row < values.length; row++) values[row] = gini(z.subarray(row * h, (row + 1) * h));
  return values;
}

/** The Gini index of `count` draws z ~ q of each point: draw after draw, the points in order in each. */
export function drawGini(q: AmortizedPosteriorArrays, h: number, count: number, rng: Random): Float64Array {
  const points = q.mean.length / h;
  const values = new Float64Array(count * points);
  for (let draw = 0; draw < count; draw++) values.set(rowGini(samplePosteriorArrays(q, h, rng), h), draw * points);
  return values;
}
