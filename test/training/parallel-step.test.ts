/**
 * Data-parallel steps against steps of the single-threaded AmortizedLearner from the same
 * initialisation and minibatches: after one step Adam's first moment is (1 − β₁)·gradient, so the
 * checkpoint arrays compare the gradients themselves, and the variables compare the updates; three
 * steps also check that the threads hand each step over correctly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random.ts';
import { AmortizedLearner, type AmortizedOptions } from '../../training/amortized/amortized-learner.ts';
import type { AmortizedFamily } from '../../training/encoder/encoder.ts';
import { ParallelAmortizedLearner } from '../../training/parallel/parallel-amortized-learner.ts';
import type { Learner, LearnerState } from '../../training/run/learner.ts';

const D = 16;
const H = 8;

const options = (family: AmortizedFamily, batch: number): AmortizedOptions => ({
  encoder: { d: D, h: H, family, rank: 3, hidden: 32, inner: 48, blocks: 2 },
  batch,
  learningRate: 1e-3,
  dictionaryLearningRate: 1e-2,
  seed: 11,
});

/** One epoch of `steps` minibatches of `rows` points. */
function train(learner: Learner, rows: number, steps: number): { values: number[]; state: LearnerState } {
  const rng = new Random(5);
  const n = rows * steps;
  const x = Float32Array.from({ length: n * D }, () => rng.normal());
  const values: number[] = [];
  learner.trainEpoch({ x, n, d: D, gamma: 1.5, delta: 0.8, rng: new Random(9), onProgress: (_, value) => values.push(value) });
  return { values, state: learner.saveState() as LearnerState };
}

/** max |a − b| over an array, relative to max |b| */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    difference = Math.max(difference, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? difference : difference / scale;
}

const learners: Learner[] = [];
afterAll(() => learners.forEach((l) => l.dispose()));

describe('a data-parallel step is the full-batch step', () => {
  it.each([
    ['diag', 2, 64, 1],
    ['lowrank', 2, 64, 1],
    ['diag', 2, 7, 1],
    ['lowrank', 3, 50, 1],
    ['diag', 1, 64, 1],
    ['diag', 2, 1, 1],
    ['diag', 2, 64, 3],
    ['lowrank', 2, 64, 3],
  ] as const)('%s, %i threads, batch %i, %i step(s): same gradient and same updated variables as AmortizedLearner', async (family, workers, batch, steps) => {
    const serial = new AmortizedLearner(options(family, batch));
    const parallel = await ParallelAmortizedLearner.create({ ...options(family, batch), workers });
    learners.push(serial, parallel);
    const expected = train(serial, batch, steps);
    const actual = train(parallel, batch, steps);
    expect(actual.values).toHaveLength(steps);
    actual.values.forEach((value, i) => expect(Math.abs(value - expected.values[i]!)).toBeLessThan(1e-5 * Math.abs(expected.values[i]!)));
    expect(actual.state.state).toEqual(expected.state.state);
    expect(Object.keys(actual.state.arrays).sort()).toEqual(Object.keys(expected.state.arrays).sort());
    for (const [key, array] of Object.entries(expected.state.arrays)) {
      const tolerance = key.endsWith('/v') ? 2e-5 : 1e-5;
      expect(relativeDifference(actual.state.arrays[key]!, array), key).toBeLessThan(tolerance);
    }
    // the main thread's own variables are the shared ones at the end of an epoch
    const variables = [...parallel.encoder.variables(), parallel.dictionary];
    variables.forEach((v, i) => expect(v.dataSync()).toEqual(actual.state.arrays[`var${i}`]));
  });
});
