/**
 * The per-epoch report of a model on a whole data set: the un-annealed entropy ELBO from float64
 * sums over all batches (math.md, "Whole-data-set evaluation"), and the Gini index of posterior
 * samples on a fixed subset (mean ± SD over 10 samples per point, as the paper reports).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { gini } from '@entropy-sc/core/metrics/gini';
import { Random } from '@entropy-sc/core/random';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { Posterior } from '../objective/posterior.ts';
import { samplePosterior } from '../objective/sample-posterior.ts';

export interface DataSetReport extends ElboReport {
  gini_mean: number;
  gini_sd: number;
}

export interface EvaluationInput {
  /** data [N, D] row-major */
  x: Float32Array;
  n: number;
  d: number;
  /** dictionary W [D, H] (columns normalised here) */
  w: tf.Tensor2D;
  /** posteriors of points [start, end) (tensors owned by the caller's tidy scope) */
  posterior: (x: tf.Tensor2D, start: number, end: number) => Posterior;
  batch?: number;
  /** points of the Gini subset: the first `giniPoints` of a seeded permutation */
  giniPoints?: number;
  giniSamples?: number;
  seed: number;
}

export function evaluateDataSet(input: EvaluationInput): DataSetReport {
  const { x, n, d, batch = 1024, giniPoints = 3000, giniSamples = 10 } = input;
  const h = input.w.shape[1];
  const accumulator = new ElboAccumulator(d, h);
  const rng = new Random(input.seed);
  const subset = new Set(Array.from(rng.permutation(n).subarray(0, Math.min(giniPoints, n))));
  const ginis: number[] = [];
  const wn = tf.tidy(() => normalizeColumns(input.w));
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
      const q = input.posterior(xb, start, end);
      const s = pointStatistics(xb, wn, q);
      accumulator.add(s.scaledM.dataSync(), s.squaredError.dataSync(), s.logDet.dataSync());
      const rows = [];
      for (let i = start; i < end; i++) if (subset.has(i)) rows.push(i - start);
      if (rows.length === 0) return;
      const qs = selectRows(q, tf.tensor1d(rows, 'int32'));
      for (let k = 0; k < giniSamples; k++) {
        const z = samplePosterior(qs, rng).dataSync();
        for (let r = 0; r < rows.length; r++) ginis.push(gini(z.subarray(r * h, (r + 1) * h)));
      }
    });
  }
  wn.dispose();
  const mean = ginis.reduce((a, b) => a + b, 0) / ginis.length;
  const sd = Math.sqrt(ginis.reduce((a, g) => a + (g - mean) ** 2, 0) / ginis.length);
  return { ...accumulator.report(), gini_mean: mean, gini_sd: sd };
}

function selectRows(q: Posterior, rows: tf.Tensor1D): Posterior {
  switch (q.family) {
    case 'diag':
      return { family: 'diag', mean: tf.gather(q.mean, rows), std: tf.gather(q.std, rows) };
    case 'lowrank':
      return { family: 'lowrank', mean: tf.gather(q.mean, rows), factor: tf.gather(q.factor, rows), diagStd: tf.gather(q.diagStd, rows) };
    case 'full':
      return { family: 'full', mean: tf.gather(q.mean, rows), chol: tf.gather(q.chol, rows) };
  }
}
