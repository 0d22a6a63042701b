/**
 * The per-epoch report of a model on a whole data set: the un-annealed entropy ELBO from float64
 * sums over all batches (math.md, "Whole-data-set evaluation"), and the Gini index of posterior
 * samples on a fixed subset (mean ± SD over 10 samples per point, as the paper reports).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { giniStats } from '@entropy-sc/core/metrics/gini';
import { Random } from '@entropy-sc/core/random';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { mapPosterior, type Posterior } from '../objective/posterior.ts';
import { samplePosterior } from '../objective/sample-posterior.ts';
import { readAsync, readSync, type Reads } from '../gpu/tensor-reads.ts';

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

/** The report, reading on the host synchronously (CPU backends). */
export function evaluateDataSet(input: EvaluationInput): DataSetReport {
  return readSync(evaluation(input));
}

/** The same report, reading asynchronously (every backend, GPU backends included). */
export function evaluateDataSetAsync(input: EvaluationInput): Promise<DataSetReport> {
  return readAsync(evaluation(input));
}

function* evaluation(input: EvaluationInput): Reads<DataSetReport> {
  const { x, n, d, batch = 1024, giniPoints = 3000, giniSamples = 10 } = input;
  const h = input.w.shape[1];
  const accumulator = new ElboAccumulator(d, h);
  const rng = new Random(input.seed);
  const subset = new Set(Array.from(rng.permutation(n).subarray(0, Math.min(giniPoints, n))));
  const samples: Float32Array[] = []; // z ~ q_n of the subset's points, [rows, H] each
  const wn = tf.tidy(() => normalizeColumns(input.w));
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      const tensors = tf.tidy(() => {
        const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
        const q = input.posterior(xb, start, end);
        const s = pointStatistics(xb, wn, q);
        const read: tf.Tensor[] = [s.scaledM, s.squaredError, s.logDet];
        const rows = [];
        for (let i = start; i < end; i++) if (subset.has(i)) rows.push(i - start);
        if (rows.length === 0) return read;
        const indices = tf.tensor1d(rows, 'int32');
        const qs = mapPosterior(q, (t) => tf.gather(t, indices));
        for (let k = 0; k < giniSamples; k++) read.push(samplePosterior(qs, rng));
        return read;
      });
      const [scaledM, squaredError, logDet, ...z] = yield tensors;
      accumulator.add({ scaledM: scaledM!, squaredError: squaredError!, logDet: logDet! });
      samples.push(...z);
    }
  } finally {
    wn.dispose();
  }
  const all = new Float32Array(samples.reduce((n, z) => n + z.length, 0));
  samples.reduce((offset, z) => (all.set(z, offset), offset + z.length), 0);
  const { mean, sd } = giniStats(all, all.length / h, h);
  return { ...accumulator.report(), gini_mean: mean, gini_sd: sd };
}
