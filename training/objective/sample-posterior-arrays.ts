/**
 * z ~ q_n as samplePosterior (sample-posterior.ts) draws it, from posteriors held as arrays: the same
 * normals in the same order, and float32 arithmetic (each product and sum rounded to float32 as
 * TensorFlow.js's CPU backends round it), without a tensor per draw.
 */
import type { Random } from '@entropy-sc/core/random';
import type { PosteriorArrays } from './posterior-arrays.ts';

/** The amortized families, the ones the statistics graph's outputs describe. */
export type AmortizedPosteriorArrays = Extract<PosteriorArrays, { family: 'diag' | 'lowrank' }>;

/** @param h latents H @returns z [B, H], one sample per point */
export function samplePosteriorArrays(q: AmortizedPosteriorArrays, h: number, rng: Random): Float32Array {
  const f = Math.fround;
  const size = q.mean.length;
  const z = new Float32Array(size);
  if (q.family === 'diag') {
    const e = normals(rng, size);
    for (let i = 0; i < size; i++) z[i] = f(q.mean[i]! + f(q.std[i]! * e[i]!));
    return z;
  }
  const r = q.rank;
  const low = normals(rng, (size / h) * r);
  const e = normals(rng, size);
  for (let i = 0; i < size; i++) {
    const point = Math.floor(i / h);
    let v = 0;
    for (let j = 0; j < r; j++) v = f(v + f(q.factor[i * r + j]! * low[point * r + j]!));
    z[i] = f(f(q.mean[i]! + v) + f(q.diagStd[i]! * e[i]!));
  }
  return z;
}

/** The normal deviates samplePosteriorArrays draws per point. */
export function normalsPerPoint(family: AmortizedPosteriorArrays['family'], h: number, rank: number): number {
  return family === 'diag' ? h : rank + h;
}

function normals(rng: Random, size: number): Float32Array {
  const e = new Float32Array(size);
  for (let i = 0; i < size; i++) e[i] = rng.normal();
  return e;
}
