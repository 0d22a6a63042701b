/**
 * Objectives of many points for L-BFGS whose values are exact to float64 rounding, with the float32
 * gradient of the TensorFlow.js graph.
 *
 * Why: an objective of N points is assembled from sums over N points of float32 values; at N = 1000
 * the rounding makes N·L_{γ,δ} uncertain by about 0.01 (measured on bars). Near saddles and on flat
 * stretches an L-BFGS step gains less than that, every line search fails, and runs stop far from an
 * optimum. Here the value is recomputed from the per-point statistics summed in float64 (with the
 * accumulator every ELBO report uses) and handed to L-BFGS relative to a fixed reference, so that even
 * its float32 scalar resolves changes of about 1e-5. A constant shift leaves the gradient unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator } from '@entropy-sc/core/elbo/elbo-accumulator';
import { annealedObjective, batchEntropies } from '../objective/entropy-elbo.ts';
import type { PointStatistics } from '../objective/point-statistics.ts';
import { pointElbo, type FrozenParameters } from '../objective/standard-elbo.ts';
import { accumulate } from '../objective/accumulate.ts';

/** What the E-step maximises (see e-step.ts). */
export type PointsObjective =
  { kind: 'entropy'; gamma: number; delta: number } | { kind: 'frozen'; theta: FrozenParameters };

/** The objective of B points: the float32 tensor (for its gradient) and its float64 value. */
export interface ObjectiveValue {
  tensor: tf.Scalar;
  exact: number;
}

/**
 * L_{γ,δ} of the points (Eq. 17), or mean_n ℓ_n at frozen Θ (Eq. 4).
 * @param stats the points' statistics [B, ...]
 * @param d data dimension D
 */
export function objectiveOf(stats: PointStatistics, d: number, objective: PointsObjective): ObjectiveValue {
  if (objective.kind === 'entropy') {
    const { gamma, delta } = objective;
    const accumulator = new ElboAccumulator(d, stats.scaledM.shape[1]);
    accumulate(accumulator, stats);
    return {
      tensor: annealedObjective(batchEntropies(stats, d), gamma, delta),
      exact: accumulator.report(gamma, delta).elbo,
    };
  }
  const perPoint = pointElbo(stats, objective.theta, d);
  let sum = 0;
  for (const v of perPoint.dataSync()) sum += v;
  return { tensor: tf.mean(perPoint) as tf.Scalar, exact: sum / perPoint.shape[0] };
}

export interface PreciseLoss {
  /** −B · objective − reference, for minimizeLbfgs (called under its gradient tape) */
  loss: () => tf.Scalar;
  /** the objective for a value of `loss` */
  objective: (lossValue: number) => number;
}

/**
 * @param evaluate the objective of the B points where the variables are now
 * @param b number of points B: the loss is −B · objective, so that L-BFGS's gradient tolerance applies
 *   to one point's parameters rather than to a 1/B share of them
 */
export function preciseLoss(evaluate: () => ObjectiveValue, b: number): PreciseLoss {
  const reference = -b * tf.tidy(() => evaluate().exact);
  return {
    objective: (lossValue) => -(lossValue + reference) / b,
    loss: () => {
      const { tensor, exact } = evaluate();
      const loss = tf.mul(-b, tensor);
      // loss − fl32(loss) is an exact zero that carries the gradient; the float64 value is added to it.
      return tf.add(tf.sub(loss, loss.dataSync()[0]!), -b * exact - reference) as tf.Scalar;
    },
  };
}
