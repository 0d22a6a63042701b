/**
 * `train --no-amortized`: picks the non-amortized learner and its defaults.
 * - Joint L-BFGS over W and all posteriors (joint-learner.ts) when all points' parameters fit in one
 *   L-BFGS problem (N · parameters per point ≤ JOINT_LIMIT, e.g. bars: 1000 × 65 for full covariance
 *   with H = 10); one epoch is ITERATIONS_PER_EPOCH iterations.
 * - EM-like minibatch learning (em-learner.ts) otherwise: per minibatch (--batch) an L-BFGS E-step,
 *   then one Adam step (--lr) on W.
 * For data with a known generating dictionary (bars), the model card also gets that dictionary's
 * own ELBO on the same data (ground-truth.ts).
 */
import type { DataSet } from '@entropy-sc/core/data/data-set';
import type { PosteriorFamily } from '../objective/posterior.ts';
import type { Learner } from './learner.ts';
import { fitsJointly, spreadDefaults } from '../per-point/defaults.ts';
import { EmLearner } from './em-learner.ts';
import { GroundTruthScored } from './ground-truth.ts';
import { JointLearner } from './joint-learner.ts';

/** L-BFGS iterations per epoch of the joint learner (50 default epochs: 1000 iterations). */
export const ITERATIONS_PER_EPOCH = 20;
/**
 * L-BFGS iterations of each minibatch E-step of EM-like learning, warm-started from the point's last
 * fit. Measured on 8 192 shipped patches, 4 epochs: 5 iterations reach 90.5 nats in 12 s of
 * training, 20 iterations about the same in 5× the time (README, "EM-like learning").
 */
export const E_STEP_ITERATIONS = 5;
/**
 * L-BFGS iterations of the per-epoch refit of every point for the report (em-learner.ts). Measured
 * on 20 000 shipped patches after 3 epochs: 20 iterations report 87.4168 nats in 95 s, 10 iterations
 * 87.4161 in 29 s, 5 iterations 87.3833 in 9 s (later iterations sit at the precision floor, where
 * the line search spends many evaluations).
 */
export const EVALUATION_ITERATIONS = 10;
const HISTORY_SIZE = 10;
const K_LINES = Object.freeze({ restarts: 5, iterations: 20 });

export interface NonAmortizedOptions {
  data: DataSet;
  family: PosteriorFamily;
  /** latents H */
  h: number;
  rank: number;
  seed: number;
  batch: number;
  learningRate: number;
}

export function createNonAmortizedLearner(options: NonAmortizedOptions): Learner {
  const { data, family, h, rank, seed } = options;
  const { x, n, d } = data;
  const { initialStd, spreadScale } = spreadDefaults(x);
  const layout = { family, h, rank, spreadScale };
  const learner = fitsJointly(n, layout)
    ? new JointLearner({
        ...layout,
        x,
        n,
        d,
        seed,
        iterationsPerEpoch: ITERATIONS_PER_EPOCH,
        historySize: HISTORY_SIZE,
        initialStd,
        kLines: K_LINES,
      })
    : new EmLearner({
        ...layout,
        n,
        d,
        seed,
        batch: options.batch,
        learningRate: options.learningRate,
        eStepIterations: E_STEP_ITERATIONS,
        evaluationIterations: EVALUATION_ITERATIONS,
        historySize: HISTORY_SIZE,
        initialStd,
      });
  return data.groundTruth
    ? new GroundTruthScored(learner, { x, n, d, w: data.groundTruth.w, h: data.groundTruth.h, seed })
    : learner;
}
