/**
 * What every amortized learner shares (TensorFlow.js, onnxruntime, WebGPU): the options, the seeded initial
 * encoder and dictionary, Adam's per-variable rates, and the Learner methods that do not depend on
 * how a step is computed. One place, so that the learners start identically and read each other's
 * checkpoints.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import type { EncoderWidths } from '@entropy-sc/core/schema/run-config';
import { type EncoderConfig } from '@entropy-sc/graph/encoder-spec';
import { Encoder } from '../model/encoder.ts';
import { randomDictionary } from '../init/random-dictionary.ts';
import type { Posterior } from '../objective/posterior.ts';

export interface AmortizedOptions {
  encoder: EncoderConfig;
  batch: number;
  learningRate: number;
  /** Adam's rate for the dictionary (its columns are unit length, the encoder's weights are not) */
  dictionaryLearningRate: number;
  seed: number;
}

export abstract class AmortizedModel<O extends AmortizedOptions = AmortizedOptions> {
  readonly encoder: Encoder;
  readonly dictionary: tf.Variable<tf.Rank.R2>;
  /** the encoder's variables, then the dictionary: the order of checkpoints and Adam's state */
  readonly variables: tf.Variable[];
  /** Adam's rate for each of `variables` */
  readonly learningRates: number[];

  constructor(protected readonly options: O) {
    const rng = new Random(options.seed);
    this.encoder = new Encoder(options.encoder, rng.uint32());
    this.dictionary = tf.variable(randomDictionary(options.encoder.d, options.encoder.h, rng));
    const encoderVariables = this.encoder.variables();
    this.variables = [...encoderVariables, this.dictionary];
    this.learningRates = [...encoderVariables.map(() => options.learningRate), options.dictionaryLearningRate];
  }

  get family(): Posterior['family'] {
    return this.options.encoder.family;
  }

  get rank(): number | null {
    return this.options.encoder.family === 'lowrank' ? this.options.encoder.rank : null;
  }

  get encoderWidths(): EncoderWidths {
    const { hidden, inner, blocks } = this.options.encoder;
    return { hidden, inner, blocks };
  }

  unitsPerEpoch(n: number): number {
    return Math.ceil(n / this.options.batch);
  }

  posterior(x: tf.Tensor2D): Posterior {
    return this.encoder.forward(x);
  }

  describe(): Record<string, unknown> {
    const { batch, learningRate, dictionaryLearningRate } = this.options;
    return {
      optimizer: { name: 'adam', learningRate, dictionaryLearningRate, batch },
    };
  }
}
