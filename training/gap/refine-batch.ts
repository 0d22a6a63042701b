/**
 * The amortization gap of one batch (math.md, "Amortization gap"): with Θ = (λ, W̃, σ²) frozen, each
 * point's ℓ_n (Eq. 4) for the encoder's posterior, then for its posterior refined by L-BFGS from
 * there. Each ℓ_n is concave in (ν, T^{1/2}) at fixed Θ and the points are independent, so one
 * L-BFGS run over the batch's sum reaches every point's optimum. A point that ends below its
 * start keeps the start (the batch's sum may rise while one term falls): no per-point gap is negative.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fitPosteriors } from '../per-point/e-step.ts';
import type { LbfgsStopReason } from '../optim/lbfgs.ts';
import {
  parameterTensors,
  PosteriorVariables,
  toPosterior,
  type PointLayout,
} from '../per-point/posterior-variables.ts';
import { pointStatistics } from '../objective/point-statistics.ts';
import type { PosteriorFamily } from '../objective/posterior.ts';
import { pointElbo } from '../objective/standard-elbo.ts';
import { tidyRead } from '../tensor/tidy-read.ts';
import {
  posteriorTensors,
  replaceRows,
  tidyReadPosterior,
  type PosteriorArrays,
} from '../objective/posterior-arrays.ts';
import type { FrozenModel } from '../artifacts/frozen-model.ts';
import { smallestSpread, spreadScaleFor, startArrays } from './start-parameters.ts';

export interface RefineOptions {
  /** L-BFGS iterations allowed (default 1000) */
  maxIterations?: number;
  /** stop when every point's gradient entries are at most this (default 1e-4) */
  gradientTolerance?: number;
  /** (s, y) pairs kept by L-BFGS (default 10) */
  historySize?: number;
}

export interface RefinedBatch {
  /** ℓ_n of the start [B] */
  amortized: Float64Array;
  /** ℓ_n of the refined posteriors [B], ≥ amortized */
  refined: Float64Array;
  /** the refined posteriors, in the target family */
  posterior: PosteriorArrays;
  iterations: number;
  /** L-BFGS's max |gradient entry| of −Σ_n ℓ_n where it stopped */
  gradientNorm: number;
  /** why L-BFGS stopped ('line-search' at float32's precision floor is the usual end) */
  reason: LbfgsStopReason;
}

/** ℓ_n of each point. @param x [B, D] */
export function pointElbos(x: tf.Tensor2D, model: FrozenModel, wn: tf.Tensor2D, q: PosteriorArrays): Float64Array {
  const values = tidyRead(() =>
    pointElbo(
      pointStatistics(x, wn, posteriorTensors(q, model.h)),
      { lambda: tf.tensor1d(Float32Array.from(model.lambda)), sigma2: model.sigma2 },
      model.d,
    ),
  );
  return Float64Array.from(values);
}

/**
 * @param x data [B, D] row-major
 * @param start the encoder's posteriors of the B points
 * @param target the family to refine in: the start's own, or 'full'
 */
export function refineBatch(
  x: Float32Array,
  model: FrozenModel,
  start: PosteriorArrays,
  target: PosteriorFamily,
  options: RefineOptions = {},
): RefinedBatch {
  const { d, h } = model;
  const b = x.length / d;
  const xb = tf.tensor2d(x, [b, d]);
  const wn = tf.tensor2d(model.dictionary, [d, h]);
  const lambda = tf.tensor1d(Float32Array.from(model.lambda));
  const rank = start.family === 'lowrank' ? start.rank : 1;
  const layout: PointLayout = { family: target, h, rank, spreadScale: spreadScaleFor(x, smallestSpread(start, h)) };
  const arrays = startArrays(start, target, layout);
  const q = new PosteriorVariables(layout, b, arrays);
  try {
    const amortized = pointElbos(xb, model, wn, start);
    const fit = fitPosteriors(
      xb,
      wn,
      q,
      { kind: 'frozen', theta: { lambda, sigma2: model.sigma2 } },
      {
        maxIterations: options.maxIterations ?? 1000,
        gradientTolerance: options.gradientTolerance ?? 1e-4,
        historySize: options.historySize ?? 10,
      },
    );
    const posterior = tidyReadPosterior(() => q.posterior());
    const refined = pointElbos(xb, model, wn, posterior);
    const worse = Array.from(refined, (value, i) => !(value >= amortized[i]!));
    if (worse.some(Boolean)) {
      const initial = tidyReadPosterior(() => toPosterior(layout, parameterTensors(layout, arrays, b)));
      replaceRows(posterior, initial, worse, h);
      worse.forEach((w, i) => w && (refined[i] = amortized[i]!));
    }
    return {
      amortized,
      refined,
      posterior,
      iterations: fit.iterations,
      gradientNorm: fit.gradientNorm,
      reason: fit.reason,
    };
  } finally {
    q.dispose();
    tf.dispose([xb, wn, lambda]);
  }
}
