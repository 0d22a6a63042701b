/**
 * Samples z ~ q_n = N(ν_n, T_n) by reparameterisation, with standard normals drawn from the seeded
 * project generator so that samples do not depend on the backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@entropy-sc/core/random';
import { lowerTriangle, type Posterior } from './posterior.ts';

function normals(rng: Random, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

/** @returns z [B, H], one sample per point */
export function samplePosterior(q: Posterior, rng: Random): tf.Tensor2D {
  const [b, h] = q.mean.shape;
  switch (q.family) {
    case 'diag':
      return tf.add(q.mean, tf.mul(q.std, normals(rng, [b, h])));
    case 'lowrank': {
      const r = q.factor.shape[2];
      const low = tf.squeeze(tf.matMul(q.factor, normals(rng, [b, r, 1]) as tf.Tensor3D), [2]);
      return tf.add(tf.add(q.mean, low), tf.mul(q.diagStd, normals(rng, [b, h])));
    }
    case 'full': {
      const e = normals(rng, [b, h, 1]) as tf.Tensor3D;
      return tf.add(q.mean, tf.squeeze(tf.matMul(lowerTriangle(q.chol), e), [2]));
    }
  }
}
