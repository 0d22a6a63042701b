/**
 * The amortization gap of an encoder on a data set (math.md, "Amortization gap"; cli.md `gap`):
 * data streams in chunks, the encoder's posteriors of each chunk are refined batch by batch on all
 * threads of a RefinePool, and the per-point ℓ_n are kept (8 bytes per point and family) for the
 * overall numbers and the per-point gap's mean, median and 95th percentile.
 */
import { quantileOfSorted, sortedFinite } from '@entropy-sc/core/metrics/quantile';
import { createProgress } from '@entropy-sc/core/progress';
import type { PosteriorFamily } from '../objective/posterior.ts';
import { sliceRows, type PosteriorArrays } from '../objective/posterior-arrays.ts';
import type { RefinedBatch, RefineOptions } from './refine-batch.ts';
import type { RefinePool } from './refine-pool.ts';

export interface GapInput {
  /** chunks of rows [rows, D] in order */
  chunks: AsyncIterable<{ x: Float32Array; rows: number }>;
  /** the encoder's posteriors of a chunk */
  encode: (x: Float32Array, rows: number) => Promise<PosteriorArrays> | PosteriorArrays;
  d: number;
  h: number;
  pool: RefinePool;
  /** also refine in the full-covariance family, from the refined posteriors */
  full?: boolean;
  /** points per L-BFGS problem (default 128) */
  refineRows?: number;
  options?: RefineOptions;
  /** total points, for the progress bar (unknown: none) */
  n?: number;
  label?: string;
}

export interface PerPointGap {
  mean: number;
  median: number;
  p95: number;
}

/** cli.md's object, plus the points, the full family's numbers and how refinement went. */
export interface GapReport {
  amortized_elbo: number;
  refined_elbo: number;
  gap: number;
  per_point: PerPointGap;
  family: PosteriorFamily;
  n: number;
  /** with --full: refined in the full family (from the refined posteriors), gap against the encoder */
  full?: { refined_elbo: number; gap: number; per_point: PerPointGap };
  refinement: {
    iterations: number;
    max_gradient: number;
    stops: Record<string, number>;
    seconds: number;
    threads: number;
  };
}

export interface GapResult {
  report: GapReport;
  /** per-point gaps ℓ_n(refined) − ℓ_n(encoder) [N] */
  gaps: Float64Array;
  /** with --full: per-point gaps of the full family [N] */
  fullGaps?: Float64Array;
}

export async function amortizationGap(input: GapInput): Promise<GapResult> {
  const { d, h, pool } = input;
  const refineRows = input.refineRows ?? 128;
  const started = performance.now();
  const amortized: number[] = [];
  const refined: number[] = [];
  const fullRefined: number[] = [];
  let family: PosteriorFamily | undefined;
  let iterations = 0;
  let maxGradient = 0;
  const stops: Record<string, number> = {};
  const progress = input.n ? createProgress(input.label ?? 'refining', input.n) : undefined;
  const note = (r: RefinedBatch) => {
    iterations += r.iterations;
    maxGradient = Math.max(maxGradient, r.gradientNorm);
    stops[r.reason] = (stops[r.reason] ?? 0) + 1;
  };

  for await (const chunk of input.chunks) {
    const q = await input.encode(chunk.x, chunk.rows);
    family = q.family;
    const jobs = [];
    for (let start = 0; start < chunk.rows; start += refineRows) {
      const end = Math.min(chunk.rows, start + refineRows);
      const x = chunk.x.slice(start * d, end * d);
      jobs.push(
        (async () => {
          const own = await pool.refine(x, sliceRows(q, h, start, end), q.family, input.options);
          note(own);
          const full = input.full ? await pool.refine(x, own.posterior, 'full', input.options) : undefined;
          if (full) note(full);
          return { own, full };
        })(),
      );
    }
    // Chunks are refined one after the other: memory stays at one chunk whatever N is.
    for (const { own, full } of await Promise.all(jobs)) {
      amortized.push(...own.amortized);
      refined.push(...own.refined);
      if (full) fullRefined.push(...full.refined);
      progress?.update(amortized.length, `gap ${(mean(refined) - mean(amortized)).toFixed(4)}`);
    }
  }
  if (!family || amortized.length === 0) throw new Error('amortizationGap: no data');
  const gaps = Float64Array.from(refined, (r, i) => r - amortized[i]!);
  const amortizedElbo = mean(amortized);
  const report: GapReport = {
    amortized_elbo: amortizedElbo,
    refined_elbo: mean(refined),
    gap: mean(refined) - amortizedElbo,
    per_point: perPoint(gaps),
    family,
    n: amortized.length,
    refinement: {
      iterations,
      max_gradient: maxGradient,
      stops,
      seconds: (performance.now() - started) / 1000,
      threads: pool.threads,
    },
  };
  let fullGaps: Float64Array | undefined;
  if (input.full) {
    fullGaps = Float64Array.from(fullRefined, (r, i) => r - amortized[i]!);
    report.full = {
      refined_elbo: mean(fullRefined),
      gap: mean(fullRefined) - amortizedElbo,
      per_point: perPoint(fullGaps),
    };
  }
  progress?.finish(`${input.label ?? 'refined'}: ${amortized.length} points, gap ${report.gap.toFixed(4)} nats`);
  return { report, gaps, fullGaps };
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Mean, median and 95th percentile of the per-point gaps. */
export function perPoint(gaps: Float64Array): PerPointGap {
  const sorted = sortedFinite(gaps);
  return { mean: mean(gaps), median: quantileOfSorted(sorted, 0.5), p95: quantileOfSorted(sorted, 0.95) };
}
