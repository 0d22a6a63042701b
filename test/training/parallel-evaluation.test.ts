/**
 * Whole-data evaluation on every thread of the data-parallel learner against today's evaluation on
 * the main thread alone, with the same parameters: the workers encode whole batches with the same
 * kernels, so the ELBO, its entropies, λ, σ² and the Gini samples agree (to 1e-6 relative; in fact
 * bit for bit), for batches that fill every thread's round or leave some empty, batches larger than
 * a worker takes, and after a restored checkpoint.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random.ts';
import { AmortizedLearner, type AmortizedOptions } from '../../training/amortized/amortized-learner.ts';
import type { AmortizedFamily } from '../../training/encoder/encoder.ts';
import { evaluateDataSet, type DataSetReport, type EvaluationInput } from '../../training/evaluate/evaluate-data-set.ts';
import { ParallelAmortizedLearner } from '../../training/parallel/parallel-amortized-learner.ts';
import type { Learner, LearnerState } from '../../training/run/learner.ts';

const D = 16;
const H = 8;
const N = 1037;

const options = (family: AmortizedFamily): AmortizedOptions => ({
  encoder: { d: D, h: H, family, rank: 3, hidden: 32, inner: 48, blocks: 2 },
  batch: 128,
  learningRate: 3e-3,
  dictionaryLearningRate: 3e-2,
  seed: 4,
});

const rng = new Random(21);
const x = Float32Array.from({ length: N * D }, () => rng.normal());

function epoch(learner: Learner, seed: number): void {
  learner.trainEpoch({ x, n: N, d: D, gamma: 1, delta: 1, rng: new Random(seed), onProgress: () => undefined });
}

function input(learner: Learner, batch: number | undefined): EvaluationInput {
  return { x, n: N, d: D, w: learner.dictionary, posterior: (xb, start, end) => learner.posterior(xb, start, end), seed: 8, batch, giniPoints: 300 };
}

function expectSameReport(actual: DataSetReport, expected: DataSetReport): void {
  const close = (a: number, b: number, what: string) => expect(Math.abs(a - b), what).toBeLessThanOrEqual(1e-6 * Math.abs(b));
  for (const key of ['elbo', 'entropy_q', 'entropy_prior', 'entropy_likelihood', 'sigma2', 'gini_mean', 'gini_sd'] as const) close(actual[key], expected[key], key);
  expected.lambda.forEach((l, i) => close(actual.lambda[i]!, l, `lambda[${i}]`));
  expect(actual.n).toBe(N);
}

const learners: Learner[] = [];
afterAll(() => learners.forEach((l) => l.dispose()));

describe('whole-data evaluation on every thread', () => {
  it('diag, 3 threads: the report of the main thread alone, for full and part-empty rounds and batches larger than a worker takes', async () => {
    const parallel = await ParallelAmortizedLearner.create({ ...options('diag'), workers: 3 });
    learners.push(parallel);
    for (const seed of [1, 2]) {
      epoch(parallel, seed); // and the threads are left ready to train on
      for (const batch of [undefined, 100, 1037, 2000]) expectSameReport(parallel.evaluate(input(parallel, batch)), evaluateDataSet(input(parallel, batch)));
    }
  });

  it('lowrank, 2 threads: the report of the main thread alone, and of the learner whose checkpoint it restored', async () => {
    const parallel = await ParallelAmortizedLearner.create({ ...options('lowrank'), workers: 2 });
    const serial = new AmortizedLearner({ ...options('lowrank'), seed: 99 });
    learners.push(parallel, serial);
    epoch(parallel, 1);
    expectSameReport(parallel.evaluate(input(parallel, 250)), evaluateDataSet(input(parallel, 250)));
    epoch(serial, 3);
    parallel.loadState((await serial.saveState()) as LearnerState);
    expectSameReport(parallel.evaluate(input(parallel, 200)), evaluateDataSet(input(serial, 200)));
  });
});
