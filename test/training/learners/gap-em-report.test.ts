/**
 * EM-like learning reports the ELBO of its learned W (em-learner.ts `evaluate`): every point's
 * posterior is refitted for the epoch's W, warm-started from the stored fit. That report is at least
 * the stale posteriors' ELBO and agrees with scoring the same W from scratch (evaluate-dictionary.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { generateBars } from '../../../src/data/bars.ts';
import { Random } from '../../../src/random.ts';
import { evaluateDataSet } from '../../../training/evaluate/evaluate-data-set.ts';
import { evaluateDictionary } from '../../../training/per-point/evaluate-dictionary.ts';
import { spreadDefaults } from '../../../training/per-point/defaults.ts';
import { EmLearner } from '../../../training/learners/em-learner.ts';

describe('EmLearner.evaluate', () => {
  it('refits the stale posteriors for the current W: higher than their ELBO, equal to a fresh fit', () => {
    const bars = generateBars({ size: 4, samples: 300, noise: 0.1, seed: 2 });
    const { x, n, d, h } = bars;
    const learner = new EmLearner({
      family: 'diag',
      h,
      rank: 1,
      ...spreadDefaults(x),
      n,
      d,
      seed: 1,
      batch: 100,
      learningRate: 0.05,
      eStepIterations: 10,
      historySize: 10,
      evaluationIterations: 300,
    });
    try {
      for (let epoch = 0; epoch < 2; epoch++)
        learner.trainEpoch({ x, n, d, gamma: 1, delta: 1, rng: new Random(epoch), onProgress: () => undefined });
      const input = {
        x,
        n,
        d,
        w: learner.dictionary,
        seed: 1,
        posterior: (xb: tf.Tensor2D, s: number, e: number) => learner.posterior(xb, s, e),
      };
      const stale = evaluateDataSet(input);
      const refitted = learner.evaluate(input);
      expect(refitted.elbo).toBeGreaterThan(stale.elbo + 0.01);
      const w = learner.dictionary.dataSync() as Float32Array;
      const fresh = evaluateDictionary({
        x,
        n,
        d,
        w: Float32Array.from(w),
        h,
        family: 'diag',
        seed: 1,
        jointLimit: 100 * 2 * h,
        passes: 5,
      });
      expect(Math.abs(refitted.elbo - fresh.report.elbo)).toBeLessThan(0.05);
    } finally {
      learner.dispose();
    }
  });
});
