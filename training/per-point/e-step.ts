/**
 * The E-step of non-amortized learning: with the dictionary W̃ fixed, L-BFGS over the posterior
 * parameters of a set of points. Two objectives (`PointsObjective`):
 * - 'entropy': the annealed entropy objective L_{γ,δ} of those points (Eq. 17), λ and σ² at their
 *   optimum for the set (Theorem 2). This is the E-step of EM-like learning, as in the paper, and with
 *   γ = δ = 1 it fits posteriors for scoring a fixed dictionary (`entropy-sc evaluate`).
 * - 'frozen': mean_n ℓ_n with Θ = (λ, W̃, σ²) frozen (Eq. 4), for held-out data and the amortization
 *   gap. The two have the same stationary points only at Θ = Θ_opt (Theorem 3).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { pointStatistics } from '../objective/point-statistics.ts';
import { minimizeLbfgs, type LbfgsOptions, type LbfgsResult } from '../optim/lbfgs.ts';
import type { PosteriorVariables } from './posterior-variables.ts';
import { objectiveOf, preciseLoss, type PointsObjective } from './precise-objective.ts';

export type { PointsObjective } from './precise-objective.ts';

export const ELBO_OBJECTIVE: PointsObjective = Object.freeze({ kind: 'entropy', gamma: 1, delta: 1 });

export interface EStepResult extends LbfgsResult {
  /** the objective where the variables end (mean over the points) */
  objective: number;
}

/**
 * Maximises the objective over the posterior parameters of the B points; the variables end at the
 * best point found. L-BFGS minimises −B · objective (see precise-objective.ts), so its gradient
 * tolerance refers to one point's parameters.
 * @param x data [B, D]
 * @param wn W̃ [D, H] with unit columns
 * @param q the points' variables (read as the starting point)
 */
export function fitPosteriors(
  x: tf.Tensor2D,
  wn: tf.Tensor2D,
  q: PosteriorVariables,
  objective: PointsObjective = ELBO_OBJECTIVE,
  options: LbfgsOptions = {},
): EStepResult {
  const d = x.shape[1];
  const loss = preciseLoss(() => objectiveOf(pointStatistics(x, wn, q.posterior()), d, objective), q.b);
  // The loss is measured from its starting value, which makes L-BFGS's relative change test
  // meaningless: runs stop on the gradient, the iteration limit, or at the precision floor, where the
  // line search finds no decrease.
  const result = minimizeLbfgs(loss.loss, q.variables, { maxIterations: 200, changeTolerance: 0, ...options });
  return { ...result, objective: loss.objective(result.value) };
}
