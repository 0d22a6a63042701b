/**
 * The per-epoch report of a model on a whole data set: the un-annealed entropy ELBO from float64
 * sums over all batches (math.md, "Whole-data-set evaluation"), and the Gini index of posterior
 * samples on a fixed subset (mean ± SD over 10 samples per point, as the paper reports).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { meanAndSd } from '@entropy-sc/core/metrics/gini';
import { Random, type RandomState } from '@entropy-sc/core/random';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { mapPosterior, type Posterior } from '../objective/posterior.ts';
import { samplePosterior } from '../objective/sample-posterior.ts';
import { readAsync, readSync, type Reads } from '../tensor/tensor-reads.ts';
import { rowGini } from './gini-draws.ts';

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
  const { x, n, d, batch = EVALUATION_BATCH } = input;
  const h = input.w.shape[1];
  const accumulator = new ElboAccumulator(d, h);
  const gini = new GiniSampling(input, h);
  const wn = tf.tidy(() => normalizeColumns(input.w));
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      const tensors = tf.tidy(() => {
        const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
        const q = input.posterior(xb, start, end);
        const s = pointStatistics(xb, wn, q);
        return [s.scaledM, s.squaredError, s.logDet, ...gini.draw(start, end, () => q)];
      });
      const [scaledM, squaredError, logDet, ...z] = yield tensors;
      accumulator.add({ scaledM: scaledM!, squaredError: squaredError!, logDet: logDet! });
      gini.add(z);
    }
  } finally {
    wn.dispose();
  }
  return { ...accumulator.report(), ...gini.result() };
}

/** Rows per batch of the whole-data evaluation (and of the Gini draws' order). */
export const EVALUATION_BATCH = 1024;

/** Draws that GiniSampling leaves to its caller (`reserve`). */
export interface GiniDraws {
  /** the points, as rows of their batch */
  rows: number[];
  /** draws per point */
  count: number;
  /** the generator's state for the first */
  rng: RandomState;
}

/**
 * The Gini index of posterior samples on a fixed subset: the first `giniPoints` of a seeded
 * permutation, `giniSamples` draws each, drawn batch by batch in row order.
 */
export class GiniSampling {
  private readonly rng: Random;
  private readonly subset: Set<number>;
  private readonly count: number;
  /** the Gini index of every draw, in the order drawn */
  private readonly values: number[] = [];

  /** @param h latents H */
  constructor(
    input: Pick<EvaluationInput, 'n' | 'seed' | 'giniPoints' | 'giniSamples'>,
    private readonly h: number,
  ) {
    const { n, giniPoints = 3000, giniSamples = 10 } = input;
    this.rng = new Random(input.seed);
    this.subset = new Set(Array.from(this.rng.permutation(n).subarray(0, Math.min(giniPoints, n))));
    this.count = giniSamples;
  }

  /** The subset's points among rows [start, end), as offsets from `start`. */
  private rows(start: number, end: number): number[] {
    const rows = [];
    for (let i = start; i < end; i++) if (this.subset.has(i)) rows.push(i - start);
    return rows;
  }

  /** The draws for the subset's points among rows [start, end), whose posteriors `q` gives (tensors of the caller's tidy). */
  draw(start: number, end: number, q: () => Posterior): tf.Tensor[] {
    const rows = this.rows(start, end);
    if (rows.length === 0) return [];
    const indices = tf.tensor1d(rows, 'int32');
    const qs = mapPosterior(q(), (t) => tf.gather(t, indices));
    return Array.from({ length: this.count }, () => samplePosterior(qs, this.rng));
  }

  /** Keeps the Gini index of `draw`'s tensors' values. */
  add(z: Float32Array[]): void {
    for (const draw of z) this.addValues(rowGini(draw, this.h));
  }

  /**
   * Leaves the draws for the subset's points among rows [start, end) to the caller: their rows (from
   * `start`), how many draws each, and the generator's state for them, which this one skips (the
   * draws take `normals` deviates per point each). Their Gini indices come back through `addValues`.
   */
  reserve(start: number, end: number, normals: number): GiniDraws {
    const rows = this.rows(start, end);
    const rng = this.rng.state();
    this.rng.skipNormals(rows.length * this.count * normals);
    return { rows, count: this.count, rng };
  }

  /** Keeps Gini indices, in the order drawn. */
  addValues(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.values.push(values[i]!);
  }

  result(): { gini_mean: number; gini_sd: number } {
    const { mean, sd } = meanAndSd(this.values);
    return { gini_mean: mean, gini_sd: sd };
  }
}
