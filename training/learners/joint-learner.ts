/**
 * Non-amortized learning on the whole data set (Section 4.1, the bars experiment): L-BFGS jointly over
 * the dictionary W and the posterior parameters of all N points, maximising L_{γ,δ} (Eq. 17) with λ
 * and σ² at their whole-data optimum (Theorem 2). One epoch is a block of L-BFGS iterations; the
 * annealing weights change between blocks. W starts from k-lines clustering of the data (per-point/k-lines.ts),
 * the means from the ridge least-squares codes of that dictionary.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { Posterior, PosteriorFamily } from '../objective/posterior.ts';
import { minimizeLbfgs } from '../optim/lbfgs.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';
import { ridgeCodes } from '../per-point/initial-means.ts';
import { kLines, type KLinesOptions } from '../per-point/k-lines.ts';
import { initialArrays, PosteriorVariables, type PointLayout } from '../per-point/posterior-variables.ts';
import { objectiveOf, preciseLoss } from '../per-point/precise-objective.ts';
import { slicePosterior } from '../per-point/slice-posterior.ts';

export interface JointLearnerOptions extends PointLayout {
  /** rows [N, D] */
  x: Float32Array;
  n: number;
  d: number;
  seed: number;
  /** L-BFGS iterations per epoch */
  iterationsPerEpoch: number;
  /** L-BFGS history size */
  historySize: number;
  /** starting spread of every posterior (τ, d or L_hh) */
  initialStd: number;
  /** the starting dictionary's k-lines clustering */
  kLines: KLinesOptions;
}

/**
 * The column norm of the stored W. L-BFGS minimises −N·L, in which each point's parameters have
 * curvature of order one while W̃, which enters every point, has curvature of order N; the curvature
 * with respect to W scales as 1/‖W_{:,h}‖², so columns of norm √N bring W to the points' scale, which
 * L-BFGS's single initial Hessian scale (N&W eq. 7.20) needs.
 */
function dictionaryNorm(n: number): number {
  return Math.sqrt(n);
}

export class JointLearner implements Learner {
  readonly dictionary: tf.Variable<tf.Rank.R2>;
  private readonly q: PosteriorVariables;
  private readonly xTensor: tf.Tensor2D;

  constructor(private readonly options: JointLearnerOptions) {
    const { d, h, n, x } = options;
    const w = kLines(x, n, d, h, new Random(options.seed), options.kLines);
    this.dictionary = tf.variable(
      tf.tidy(() => tf.mul(normalizeColumns(tf.tensor2d(w, [d, h])), dictionaryNorm(n)) as tf.Tensor2D),
    );
    this.xTensor = tf.tensor2d(x, [n, d]);
    const means = tf.tidy(() => ridgeCodes(this.xTensor, normalizeColumns(this.dictionary)));
    this.q = new PosteriorVariables(options, n, initialArrays(options, means, options.initialStd));
  }

  get family(): PosteriorFamily {
    return this.options.family;
  }

  get rank(): number | null {
    return this.options.family === 'lowrank' ? this.options.rank : null;
  }

  readonly encoderWidths = null;

  unitsPerEpoch(): number {
    return this.options.iterationsPerEpoch;
  }

  trainEpoch(context: EpochContext): number {
    const { gamma, delta } = context;
    const { n, d } = this.options;
    const objective = preciseLoss(
      () =>
        objectiveOf(pointStatistics(this.xTensor, normalizeColumns(this.dictionary), this.q.posterior()), d, {
          kind: 'entropy',
          gamma,
          delta,
        }),
      n,
    );
    const result = minimizeLbfgs(objective.loss, [this.dictionary, ...this.q.variables], {
      maxIterations: this.options.iterationsPerEpoch,
      historySize: this.options.historySize,
      // An epoch is a fixed block of iterations: one iteration of little gain (the first, steepest-descent
      // one of a block often is) must not end it.
      changeTolerance: 0,
      onIteration: ({ iteration, value }) => context.onProgress(iteration, objective.objective(value)),
    });
    return objective.objective(result.value);
  }

  posterior(_x: tf.Tensor2D, start: number, end: number): Posterior {
    return slicePosterior(this.q.posterior(), start, end);
  }

  describe(): Record<string, unknown> {
    const { iterationsPerEpoch, historySize, initialStd, spreadScale } = this.options;
    return {
      optimizer: { name: 'lbfgs', scope: 'joint', iterationsPerEpoch, historySize },
      init: { dictionary: { name: 'k-lines', ...this.options.kLines }, posteriorStd: initialStd, spreadScale },
    };
  }

  saveState(): LearnerState {
    const arrays: Record<string, Float32Array> = {
      dictionary: Float32Array.from(this.dictionary.dataSync() as Float32Array),
    };
    this.q.read().forEach((a, k) => (arrays[`posterior${k}`] = a));
    return { state: {}, arrays };
  }

  loadState(saved: LearnerState): void {
    tf.tidy(() => this.dictionary.assign(tf.tensor2d(saved.arrays['dictionary']!, this.dictionary.shape)));
    this.q.write(this.q.variables.map((_, k) => saved.arrays[`posterior${k}`]!));
  }

  dispose(): void {
    this.dictionary.dispose();
    this.q.dispose();
    this.xTensor.dispose();
  }
}
