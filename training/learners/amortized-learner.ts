/**
 * Amortized learning (Section 4.2): the encoder and W are trained jointly by Adam on minibatches of
 * the annealed entropy objective L_{γ,δ} (Eq. 17), with λ and σ² at their batch optimum.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSetReport, EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import { evaluateEncoder } from '../evaluate/onnx-evaluation.ts';
import { annealedObjective, batchEntropies } from '../objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { Adam } from '../optim/adam.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';
import { gatherRows } from '../tensor/gather-rows.ts';
import { AmortizedModel, type AmortizedOptions } from './amortized-model.ts';

export type { AmortizedOptions };

export class AmortizedLearner extends AmortizedModel implements Learner {
  private readonly adam: Adam;

  constructor(options: AmortizedOptions) {
    super(options);
    this.adam = new Adam(this.variables, { learningRate: this.learningRates });
  }

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
      value = tf.tidy(() => {
        const xb = gatherRows(x, d, rows);
        const objective = this.adam.update(
          () =>
            annealedObjective(
              batchEntropies(pointStatistics(xb, normalizeColumns(this.dictionary), this.encoder.forward(xb)), d),
              gamma,
              delta,
            ),
          'maximize',
        );
        return objective.dataSync()[0]!;
      });
      if (!Number.isFinite(value)) return value;
      context.onProgress(step + 1, value);
    }
    return value;
  }

  saveState(): LearnerState {
    const arrays: Record<string, Float32Array> = {};
    this.variables.forEach((v, i) => (arrays[`var${i}`] = v.dataSync() as Float32Array));
    const adam = this.adam.getState();
    adam.moments.forEach(({ m, v }, i) => {
      arrays[`adam${i}/m`] = m;
      arrays[`adam${i}/v`] = v;
    });
    return { state: { adamStep: adam.step }, arrays };
  }

  loadState(saved: LearnerState): void {
    const variables = this.variables;
    variables.forEach((v, i) => v.assign(tf.tensor(saved.arrays[`var${i}`]!, v.shape)));
    this.adam.setState({
      step: saved.state['adamStep'] as number,
      moments: variables.map((_, i) => ({ m: saved.arrays[`adam${i}/m`]!, v: saved.arrays[`adam${i}/v`]! })),
    });
  }

  dispose(): void {
    this.encoder.dispose();
    this.dictionary.dispose();
    this.adam.dispose();
  }
}
