/**
 * A learner's run on data with a known generating dictionary (bars), scored against it: the model card
 * gets `ground_truth`, the whole-data ELBO of the true dictionary on the same data with posteriors of
 * the learner's family fitted for it (per-point/evaluate-dictionary.ts), so that a run shows how close it came.
 * Computed once, on the first model card, and kept in the checkpoint.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { evaluateDictionary } from '../per-point/evaluate-dictionary.ts';
import type { Posterior, PosteriorFamily } from '../objective/posterior.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';

export interface GroundTruthInput {
  /** data [N, D] */
  x: Float32Array;
  n: number;
  d: number;
  /** generating dictionary [D, H] row-major */
  w: Float64Array;
  h: number;
  seed: number;
}

export interface GroundTruthScore {
  elbo: number;
  entropy_q: number;
  entropy_prior: number;
  entropy_likelihood: number;
  sigma2: number;
  family: PosteriorFamily;
}

export class GroundTruthScored implements Learner {
  private score: GroundTruthScore | null = null;
  /** the wrapped learner's own whole-data report, where it has one (EM refits its points first) */
  readonly evaluate?: Learner['evaluate'];

  constructor(
    private readonly learner: Learner,
    private readonly truth: GroundTruthInput,
  ) {
    if (learner.evaluate) this.evaluate = (input) => learner.evaluate!(input);
  }

  get family(): PosteriorFamily {
    return this.learner.family;
  }

  get rank(): number | null {
    return this.learner.rank;
  }

  get encoderWidths(): Learner['encoderWidths'] {
    return this.learner.encoderWidths;
  }

  get dictionary(): tf.Variable<tf.Rank.R2> {
    return this.learner.dictionary;
  }

  unitsPerEpoch(n: number): number {
    return this.learner.unitsPerEpoch(n);
  }

  trainEpoch(context: EpochContext): number | Promise<number> {
    return this.learner.trainEpoch(context);
  }

  posterior(x: tf.Tensor2D, start: number, end: number): Posterior {
    return this.learner.posterior(x, start, end);
  }

  private groundTruth(): GroundTruthScore {
    if (!this.score) {
      const { x, n, d, w, h, seed } = this.truth;
      const { report } = evaluateDictionary({ x, n, d, w: Float32Array.from(w), h, family: this.family, seed });
      this.score = {
        elbo: report.elbo,
        entropy_q: report.entropy_q,
        entropy_prior: report.entropy_prior,
        entropy_likelihood: report.entropy_likelihood,
        sigma2: report.sigma2,
        family: this.family,
      };
    }
    return this.score;
  }

  describe(): Record<string, unknown> {
    return { ...this.learner.describe(), ground_truth: this.groundTruth() };
  }

  async saveState(): Promise<LearnerState> {
    const saved = await this.learner.saveState();
    return { state: { learner: saved.state, groundTruth: this.score }, arrays: saved.arrays };
  }

  loadState(saved: LearnerState): void {
    this.learner.loadState({ state: saved.state['learner'] as Record<string, unknown>, arrays: saved.arrays });
    this.score = (saved.state['groundTruth'] as GroundTruthScore | null) ?? null;
  }

  dispose(): void {
    this.learner.dispose();
  }
}
