/**
 * Posteriors of B points as plain float32 arrays (math.md, "Posterior families"), for moving them
 * between an encoder (tfjs or onnxruntime), worker threads and the refinement.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Posterior } from './posterior.ts';

export type PosteriorArrays =
  /** @param mean ν [B, H] @param std τ [B, H] */
  | { family: 'diag'; mean: Float32Array; std: Float32Array }
  /** @param factor V [B, H, r] @param diagStd d [B, H] */
  | { family: 'lowrank'; mean: Float32Array; factor: Float32Array; diagStd: Float32Array; rank: number }
  /** @param chol L [B, H, H], lower triangular */
  | { family: 'full'; mean: Float32Array; chol: Float32Array };

/** The posteriors as tensors (inside the caller's tidy). @param h latents H */
export function posteriorTensors(q: PosteriorArrays, h: number): Posterior {
  const b = q.mean.length / h;
  const mean = tf.tensor2d(q.mean, [b, h]);
  switch (q.family) {
    case 'diag':
      return { family: 'diag', mean, std: tf.tensor2d(q.std, [b, h]) };
    case 'lowrank':
      return {
        family: 'lowrank',
        mean,
        factor: tf.tensor3d(q.factor, [b, h, q.rank]),
        diagStd: tf.tensor2d(q.diagStd, [b, h]),
      };
    case 'full':
      return { family: 'full', mean, chol: tf.tensor3d(q.chol, [b, h, h]) };
  }
}

/** The values of posteriors computed by `f` (in a tidy scope, read outside it: see tidy-read.ts). */
export function tidyReadPosterior(f: () => Posterior): PosteriorArrays {
  const q = tf.tidy(() => f() as unknown as Record<string, tf.Tensor>) as unknown as Posterior;
  try {
    return readPosterior(q);
  } finally {
    tf.dispose(Object.values(q).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
  }
}

/** The tensors' values. */
export function readPosterior(q: Posterior): PosteriorArrays {
  const read = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
  switch (q.family) {
    case 'diag':
      return { family: 'diag', mean: read(q.mean), std: read(q.std) };
    case 'lowrank':
      return {
        family: 'lowrank',
        mean: read(q.mean),
        factor: read(q.factor),
        diagStd: read(q.diagStd),
        rank: q.factor.shape[2],
      };
    case 'full':
      return { family: 'full', mean: read(q.mean), chol: read(tf.tidy(() => lowerOnly(q.chol))) };
  }
}

function lowerOnly(chol: tf.Tensor3D): tf.Tensor3D {
  const h = chol.shape[1];
  return tf.mul(
    chol,
    tf.tensor2d(
      Float32Array.from({ length: h * h }, (_, k) => (Math.floor(k / h) >= k % h ? 1 : 0)),
      [h, h],
    ),
  );
}

/** The arrays that hold one quantity per point, with their values per point (for slicing and copying). */
function fields(q: PosteriorArrays, h: number): Array<{ key: string; size: number }> {
  switch (q.family) {
    case 'diag':
      return [
        { key: 'mean', size: h },
        { key: 'std', size: h },
      ];
    case 'lowrank':
      return [
        { key: 'mean', size: h },
        { key: 'factor', size: h * q.rank },
        { key: 'diagStd', size: h },
      ];
    case 'full':
      return [
        { key: 'mean', size: h },
        { key: 'chol', size: h * h },
      ];
  }
}

/** Rows [start, end) of the points. */
export function sliceRows(q: PosteriorArrays, h: number, start: number, end: number): PosteriorArrays {
  const out: Record<string, unknown> = { ...q };
  for (const { key, size } of fields(q, h))
    out[key] = (q as unknown as Record<string, Float32Array>)[key]!.slice(start * size, end * size);
  return out as unknown as PosteriorArrays;
}

/** Row i of `q` replaced by row i of `other` wherever `take[i]` (same family and shapes). */
export function replaceRows(q: PosteriorArrays, other: PosteriorArrays, take: ArrayLike<boolean>, h: number): void {
  for (const { key, size } of fields(q, h)) {
    const target = (q as unknown as Record<string, Float32Array>)[key]!;
    const source = (other as unknown as Record<string, Float32Array>)[key]!;
    for (let i = 0; i < take.length; i++) if (take[i]) target.set(source.subarray(i * size, (i + 1) * size), i * size);
  }
}
