/**
 * Amortized learning (Section 4.2): the encoder and W are trained jointly by Adam on minibatches of
 * the annealed entropy objective L_{γ,δ} (Eq. 17), with λ and σ² at their batch optimum.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSetReport, EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import { evaluateEncoder } from '../evaluate/onnx-evaluation.ts';
import { gatherRows } from '../tensor/gather-rows.ts';
import { AdamAmortizedModel } from './adam-amortized-model.ts';
import type { AmortizedOptions } from './amortized-model.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';

export type { AmortizedOptions };

export class AmortizedLearner extends AdamAmortizedModel implements Learner {
  /** The whole-data report, with the encoder under onnxruntime on every core. */
  evaluate(input: EvaluationInput): Promise<DataSetReport> {
    return evaluateEncoder(this.encoder, input);
  }

  trainEpoch(context: EpochContext): number {
    const { x, n, d, gamma, delta } = context;
    const order = context.rng.permutation(n);
    const steps = this.unitsPerEpoch(n);
    let value = NaN;
    for (let step = 0; step < steps; step++) {
      const rows = order.subarray(step * this.options.batch, Math.min(n, (step + 1) * this.options.batch));
      value = tf.tidy(() => this.step(gatherRows(x, d, rows), gamma, delta).dataSync()[0]!);
      if (!Number.isFinite(value)) return value;
      context.onProgress(step + 1, value);
    }
    return value;
  }

  saveState(): LearnerState {
    return this.stateOf(
      this.variables.map((v) => v.dataSync() as Float32Array),
      this.adam.getState(),
    );
  }
}
