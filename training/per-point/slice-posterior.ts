/** Rows [start, end) of a batch of posteriors, for evaluating non-amortized posteriors in chunks. */
import * as tf from '@tensorflow/tfjs-core';
import { mapPosterior, type Posterior } from '../objective/posterior.ts';

function rows<T extends tf.Tensor>(t: T, start: number, end: number): T {
  const begin = t.shape.map((_, k) => (k === 0 ? start : 0));
  const size = t.shape.map((s, k) => (k === 0 ? end - start : s));
  return tf.slice(t, begin, size);
}

/** @returns the posteriors of points start … end − 1 */
export function slicePosterior(q: Posterior, start: number, end: number): Posterior {
  if (start === 0 && end === q.mean.shape[0]) return q;
  return mapPosterior(q, (t) => rows(t, start, end));
}
