/**
 * Amortized learning (Section 4.2): the encoder and W are trained jointly by Adam on minibatches of
 * the annealed entropy objective L_{γ,δ} (Eq. 17), with λ and σ² at their batch optimum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import { Encoder, type EncoderConfig } from '../encoder/encoder.ts';
import { annealedObjective, batchEntropies } from '../objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { Posterior } from '../objective/posterior.ts';
import { Adam } from '../optim/adam.ts';
import type { EpochContext, Learner, LearnerState } from '../run/learner.ts';
import { gatherRows } from '../tensor/gather-rows.ts';
import { randomDictionary } from '../init/random-dictionary.ts';

export interface AmortizedOptions {
  encoder: EncoderConfig;
  batch: number;
  learningRate: number;
  /** Adam's rate for the dictionary (its columns are unit length, the encoder's weights are not) */
  dictionaryLearningRate: number;
  seed: number;
}

export class AmortizedLearner implements Learner {
  readonly encoder: Encoder;
  readonly dictionary: tf.Variable<tf.Rank.R2>;
  private readonly adam: Adam;

  constructor(private readonly options: AmortizedOptions) {
    const rng = new Random(options.seed);
    this.encoder = new Encoder(options.encoder, rng.uint32());
    const { d, h } = options.encoder;
    this.dictionary = tf.variable(randomDictionary(d, h, rng));
    const encoderVariables = this.encoder.variables();
    this.adam = new Adam([...encoderVariables, this.dictionary], {
      learningRate: [...encoderVariables.map(() => options.learningRate), options.dictionaryLearningRate],
    });
  }

  get family(): Posterior['family'] {
    return this.options.encoder.family;
  }

  unitsPerEpoch(n: number): number {
    return Math.ceil(n / this.options.batch);
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
          () => annealedObjective(batchEntropies(pointStatistics(xb, normalizeColumns(this.dictionary), this.encoder.forward(xb)), d), gamma, delta),
          'maximize',
        );
        return objective.dataSync()[0]!;
      });
      if (!Number.isFinite(value)) return value;
      context.onProgress(step + 1, value);
    }
    return value;
  }

  posterior(x: tf.Tensor2D): Posterior {
    return this.encoder.forward(x);
  }

  describe(): Record<string, unknown> {
    const { encoder, batch, learningRate, dictionaryLearningRate } = this.options;
    return {
      encoder: { hidden: encoder.hidden, inner: encoder.inner, blocks: encoder.blocks },
      optimizer: { name: 'adam', learningRate, dictionaryLearningRate, batch },
    };
  }

  saveState(): LearnerState {
    const arrays: Record<string, Float32Array> = {};
    [...this.encoder.variables(), this.dictionary].forEach((v, i) => (arrays[`var${i}`] = v.dataSync() as Float32Array));
    const adam = this.adam.getState();
    adam.moments.forEach(({ m, v }, i) => {
      arrays[`adam${i}/m`] = m;
      arrays[`adam${i}/v`] = v;
    });
    return { state: { adamStep: adam.step }, arrays };
  }

  loadState(saved: LearnerState): void {
    const variables = [...this.encoder.variables(), this.dictionary];
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
