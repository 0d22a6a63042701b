/**
 * What the training loop needs from a way of learning W̃ and the posteriors: the amortized encoder
 * (Adam on minibatches) and the non-amortized variants (L-BFGS) each implement it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@entropy-sc/core/random';
import type { EncoderWidths } from '@entropy-sc/core/schema/run-config';
import type { AnnealWeights } from '../anneal/schedule.ts';
import type { DataSetReport, EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import type { Posterior, PosteriorFamily } from '../objective/posterior.ts';

export interface EpochContext extends AnnealWeights {
  /** rows [N, D] */
  x: Float32Array;
  n: number;
  d: number;
  /** the run's generator for minibatch orders and the like (its state is checkpointed) */
  rng: Random;
  /** reports progress within the epoch: units done of `unitsPerEpoch`, and the objective's value */
  onProgress: (done: number, objective: number) => void;
}

export interface LearnerState {
  state: Record<string, unknown>;
  arrays: Record<string, Float32Array>;
}

export interface Learner {
  readonly family: PosteriorFamily;
  /** the low-rank factor's columns r: a number for the lowrank family, null for the others (the model card's `rank`) */
  readonly rank: number | null;
  /** the encoder's widths as built; null for a learner without an encoder (the model card's `encoder`) */
  readonly encoderWidths: EncoderWidths | null;
  /** the unconstrained dictionary W [D, H] (normalised inside the objective) */
  readonly dictionary: tf.Variable<tf.Rank.R2>;
  /** progress units of one epoch (minibatches or iterations) */
  unitsPerEpoch(n: number): number;
  /**
   * One epoch of learning. @returns the last value of the (annealed) objective; a promise where
   * values are read back asynchronously (GPU backends)
   */
  trainEpoch(context: EpochContext): number | Promise<number>;
  /** Posteriors of rows [start, end) of the training data, for evaluation. @param x those rows [B, D] */
  posterior(x: tf.Tensor2D, start: number, end: number): Posterior;
  /**
   * The whole-data report, where the learner computes it faster itself than the main thread's
   * `evaluateDataSetAsync` with `posterior` (the amortized CPU learners: under onnxruntime).
   */
  evaluate?(input: EvaluationInput): DataSetReport | Promise<DataSetReport>;
  /** Extra description for the model card (optimiser settings, initialisation). */
  describe(): Record<string, unknown>;
  saveState(): LearnerState | Promise<LearnerState>;
  loadState(saved: LearnerState): void;
  dispose(): void;
}
