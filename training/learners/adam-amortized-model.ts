/**
 * What the TensorFlow.js amortized learners share (amortized-learner.ts on the host, device-amortized-
 * learner.ts on a GPU): Adam over the encoder's variables and W, one minibatch step of L_{γ,δ}
 * (Eq. 17), the checkpoint layout of Adam's state, and disposal. They differ in how they feed rows
 * and read values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { annealedObjective, batchEntropies } from '../objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { Adam, type AdamState } from '../optim/adam.ts';
import { AmortizedModel, type AmortizedOptions } from './amortized-model.ts';
import type { LearnerState } from './learner.ts';

export abstract class AdamAmortizedModel extends AmortizedModel {
  protected readonly adam: Adam;

  constructor(options: AmortizedOptions) {
    super(options);
    this.adam = new Adam(this.variables, { learningRate: this.learningRates });
  }

  /** One Adam step on the minibatch `xb` [B, D] (inside tf.tidy); @returns L_{γ,δ} before the step */
  protected step(xb: tf.Tensor2D, gamma: number, delta: number): tf.Scalar {
    const d = xb.shape[1];
    return this.adam.update(
      () =>
        annealedObjective(
          batchEntropies(pointStatistics(xb, normalizeColumns(this.dictionary), this.encoder.forward(xb)), d),
          gamma,
          delta,
        ),
      'maximize',
    );
  }

  /** The checkpoint of the variables' values and Adam's state. */
  protected stateOf(values: Float32Array[], adam: AdamState): LearnerState {
    const arrays: Record<string, Float32Array> = {};
    values.forEach((v, i) => (arrays[`var${i}`] = v));
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
