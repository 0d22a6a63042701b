/** Random ELBO problems (data, dictionary, posteriors) as plain float64 arrays and as tensors. */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/random.ts';
import type { Posterior, PosteriorFamily } from '../../training/objective/posterior.ts';
import type { Mat, RefPosterior } from './reference-elbo.ts';

export interface Problem {
  n: number;
  d: number;
  h: number;
  r: number;
  x: Mat;
  w: Mat;
  q: RefPosterior;
}

const matrix = (rows: number, cols: number, f: () => number): Mat =>
  Array.from({ length: rows }, () => Array.from({ length: cols }, f));

export function randomProblem(seed: number, family: PosteriorFamily, n: number, d: number, h: number, r = 3): Problem {
  const rng = new Random(seed);
  const x = matrix(n, d, () => rng.normal());
  const w = matrix(d, h, () => rng.normal());
  const mean = matrix(n, h, () => rng.normal());
  const positive = () => 0.2 + rng.uniform();
  let q: RefPosterior;
  if (family === 'diag') q = { family, mean, std: matrix(n, h, positive) };
  else if (family === 'lowrank')
    q = {
      family,
      mean,
      factor: Array.from({ length: n }, () => matrix(h, r, () => 0.5 * rng.normal())),
      diagStd: matrix(n, h, positive),
    };
  else
    q = {
      family,
      mean,
      chol: Array.from({ length: n }, () =>
        Array.from({ length: h }, (_, i) =>
          Array.from({ length: h }, (_, j) =>
            i === j ? positive() * (rng.uniform() < 0.5 ? -1 : 1) : 0.3 * rng.normal(),
          ),
        ),
      ),
    };
  return { n, d, h, r, x, w, q };
}

/** The problem's posterior parameters as tensors (the caller disposes them or uses tf.tidy). */
export function toTensors(p: Problem): { x: tf.Tensor2D; w: tf.Tensor2D; q: Posterior } {
  const x = tf.tensor2d(p.x);
  const w = tf.tensor2d(p.w);
  const mean = tf.tensor2d(p.q.mean);
  switch (p.q.family) {
    case 'diag':
      return { x, w, q: { family: 'diag', mean, std: tf.tensor2d(p.q.std) } };
    case 'lowrank':
      return {
        x,
        w,
        q: { family: 'lowrank', mean, factor: tf.tensor3d(p.q.factor), diagStd: tf.tensor2d(p.q.diagStd) },
      };
    case 'full':
      return { x, w, q: { family: 'full', mean, chol: tf.tensor3d(p.q.chol) } };
  }
}

export function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1e-12, Math.abs(expected));
}
