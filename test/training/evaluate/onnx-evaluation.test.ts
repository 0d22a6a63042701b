/**
 * The amortized learners' whole-data evaluation (the encoder and the per-point statistics under
 * onnxruntime) against the evaluation in TensorFlow.js on the main thread, with the same parameters:
 * the ELBO, its entropies, λ, σ² and the Gini index agree to 1e-6 relative, for the TensorFlow.js
 * learner and the one that trains under onnxruntime, both families, batches that divide N or not and one larger than N, after
 * training and after a restored checkpoint.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { AmortizedLearner, type AmortizedOptions } from '../../../training/learners/amortized-learner.ts';
import { defaultEncoderConfig, type AmortizedFamily } from '../../../graph/encoder-spec.ts';
import {
  evaluateDataSet,
  type DataSetReport,
  type EvaluationInput,
} from '../../../training/evaluate/evaluate-data-set.ts';
import { NativeAmortizedLearner } from '../../../training/learners/native-amortized-learner.ts';
import type { Learner, LearnerState } from '../../../training/learners/learner.ts';

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

async function epoch(learner: Learner, seed: number): Promise<void> {
  await learner.trainEpoch({ x, n: N, d: D, gamma: 1, delta: 1, rng: new Random(seed), onProgress: () => undefined });
}

function input(learner: Learner, batch: number | undefined): EvaluationInput {
  return {
    x,
    n: N,
    d: D,
    w: learner.dictionary,
    posterior: (xb, start, end) => learner.posterior(xb, start, end),
    seed: 8,
    batch,
    giniPoints: 300,
  };
}

const SCALARS = ['elbo', 'entropy_q', 'entropy_prior', 'entropy_likelihood', 'sigma2', 'gini_mean', 'gini_sd'] as const;
const close = (a: number, b: number, what: string) =>
  expect(Math.abs(a - b), what).toBeLessThanOrEqual(1e-6 * Math.abs(b));

/** The report's scalars, each to 1e-6 of the reference's. */
function expectSameScalars(actual: DataSetReport, expected: DataSetReport, what = ''): void {
  for (const key of SCALARS) close(actual[key], expected[key], `${what}${key}: ${actual[key]} vs ${expected[key]}`);
}

function expectSameReport(actual: DataSetReport, expected: DataSetReport): void {
  expectSameScalars(actual, expected);
  expected.lambda.forEach((l, i) => close(actual.lambda[i]!, l, `lambda[${i}]`));
  expect(actual.n).toBe(N);
}

const learners: Learner[] = [];
afterAll(() => learners.forEach((l) => l.dispose()));

describe('whole-data evaluation under onnxruntime', () => {
  it('diag, 3 threads: the report of TensorFlow.js, for batches that divide N or not and one larger than N', async () => {
    const parallel = await NativeAmortizedLearner.create({ ...options('diag'), threads: 3 });
    learners.push(parallel);
    for (const seed of [1, 2]) {
      await epoch(parallel, seed);
      for (const batch of [undefined, 100, 1037, 2000])
        expectSameReport(await parallel.evaluate(input(parallel, batch)), evaluateDataSet(input(parallel, batch)));
    }
  });

  it('lowrank: the TensorFlow.js learner, and the onnxruntime one after restoring its checkpoint, report what TensorFlow.js does', async () => {
    const parallel = await NativeAmortizedLearner.create({ ...options('lowrank'), threads: 2 });
    const serial = new AmortizedLearner({ ...options('lowrank'), seed: 99 });
    learners.push(parallel, serial);
    await epoch(parallel, 1);
    expectSameReport(await parallel.evaluate(input(parallel, 250)), evaluateDataSet(input(parallel, 250)));
    await epoch(serial, 3);
    expectSameReport(await serial.evaluate(input(serial, 200)), evaluateDataSet(input(serial, 200)));
    parallel.loadState((await serial.saveState()) as LearnerState);
    expectSameReport(await parallel.evaluate(input(parallel, 200)), evaluateDataSet(input(serial, 200)));
  });
});

describe("whole-data evaluation under onnxruntime, at the default run's widths", () => {
  it('D = 256, H = 100, both families: the report of TensorFlow.js to 1e-6 relative', async () => {
    const d = 256;
    const h = 100;
    const n = 3000;
    const r = new Random(5);
    const rows = Float32Array.from({ length: n * d }, () => 0.3 * r.normal());
    for (const family of ['diag', 'lowrank'] as const) {
      const learner = new AmortizedLearner({
        encoder: defaultEncoderConfig(d, h, family),
        batch: 512,
        learningRate: 1e-3,
        dictionaryLearningRate: 1e-2,
        seed: 3,
      });
      learners.push(learner);
      learner.trainEpoch({ x: rows, n, d, gamma: 1, delta: 1, rng: new Random(1), onProgress: () => undefined });
      const evaluation: EvaluationInput = {
        x: rows,
        n,
        d,
        w: learner.dictionary,
        posterior: (xb) => learner.posterior(xb),
        seed: 2,
      };
      const actual = await learner.evaluate(evaluation);
      const expected = evaluateDataSet(evaluation);
      expectSameScalars(actual, expected, `${family} `);
    }
  });
});
