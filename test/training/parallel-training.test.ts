/**
 * The data-parallel learner over whole epochs: on bars it reaches the metrics of the single-threaded
 * learner, a checkpoint written by one learner continues in the other, a run is deterministic and
 * resumes exactly, and dispose() ends every worker thread.
 */
import { describe, expect, it } from 'vitest';
import { loadDataSet } from '../../src/data/data-set.ts';
import { dataDefaults } from '../../src/schema/data-spec.ts';
import { testConfig } from '../helpers/run-config.ts';
import { Random } from '../../src/random.ts';
import { AmortizedLearner, type AmortizedOptions } from '../../training/amortized/amortized-learner.ts';
import { parseSchedule } from '../../training/anneal/schedule.ts';
import { ParallelAmortizedLearner } from '../../training/parallel/parallel-amortized-learner.ts';
import type { Learner } from '../../training/run/learner.ts';
import type { MetricsRow } from '../../training/run/run-files.ts';
import { trainLoop } from '../../training/run/train-loop.ts';
import { tempDir } from '../helpers/cli.ts';

const options: AmortizedOptions = {
  encoder: { d: 25, h: 10, family: 'diag', rank: 2, hidden: 32, inner: 48, blocks: 1 },
  batch: 250,
  learningRate: 3e-3,
  dictionaryLearningRate: 3e-2,
  seed: 3,
};

const bars = () => loadDataSet(dataDefaults.bars, 3);

async function run(learner: Learner, epochs: number): Promise<MetricsRow[]> {
  try {
    return await trainLoop(await bars(), learner, {
      out: tempDir(),
      schedule: parseSchedule('none'),
      resume: false,
      config: testConfig({ epochs, seed: 3 }),
      log: () => undefined,
    });
  } finally {
    learner.dispose();
  }
}

describe('data-parallel training', () => {
  it('reaches the single-threaded metrics on bars (diag, 2 threads, 4 epochs)', async () => {
    const serial = await run(new AmortizedLearner(options), 4);
    const parallel = await run(await ParallelAmortizedLearner.create({ ...options, workers: 2 }), 4);
    expect(parallel).toHaveLength(4);
    expect(parallel[3]!.elbo).toBeGreaterThan(parallel[0]!.elbo);
    parallel.forEach((row, epoch) => {
      const expected = serial[epoch]!;
      for (const key of ['elbo', 'entropy_q', 'entropy_prior', 'entropy_likelihood', 'sigma2'] as const)
        expect(Math.abs(row[key] - expected[key]), `epoch ${epoch} ${key}`).toBeLessThan(1e-4 * Math.abs(expected[key]));
      expect(Math.abs(row.gini_mean - expected.gini_mean), `epoch ${epoch} gini`).toBeLessThan(1e-3);
    });
  });

  it('continues a checkpoint of the single-threaded learner', async () => {
    const data = await bars();
    const context = (rng: Random) => ({ x: data.x, n: data.n, d: data.d, gamma: 1, delta: 1, rng, onProgress: () => undefined });
    const serial = new AmortizedLearner(options);
    serial.trainEpoch(context(new Random(1)));
    const parallel = await ParallelAmortizedLearner.create({ ...options, workers: 2 });
    try {
      parallel.loadState(serial.saveState());
      const expected = serial.trainEpoch(context(new Random(2)));
      const actual = parallel.trainEpoch(context(new Random(2)));
      expect(Math.abs(actual - expected)).toBeLessThan(1e-4 * Math.abs(expected));
      expect(parallel.saveState().state).toEqual(serial.saveState().state);
    } finally {
      serial.dispose();
      parallel.dispose();
    }
  });

  it('is deterministic, and continues its own checkpoint bit for bit', async () => {
    const data = await bars();
    const epoch = (learner: Learner, seed: number) =>
      learner.trainEpoch({ x: data.x, n: data.n, d: data.d, gamma: 1, delta: 1, rng: new Random(seed), onProgress: () => undefined });
    const whole = await ParallelAmortizedLearner.create({ ...options, workers: 2 });
    const split = await ParallelAmortizedLearner.create({ ...options, workers: 2 });
    const resumed = await ParallelAmortizedLearner.create({ ...options, workers: 2, seed: 99 });
    try {
      epoch(whole, 1);
      epoch(split, 1);
      expect(split.saveState()).toEqual(whole.saveState());
      resumed.loadState(split.saveState());
      expect(epoch(resumed, 2)).toBe(epoch(whole, 2));
      expect(resumed.saveState()).toEqual(whole.saveState());
    } finally {
      [whole, split, resumed].forEach((l) => l.dispose());
    }
  });

  it('ends its worker threads on dispose, and refuses to train afterwards', async () => {
    const learner = await ParallelAmortizedLearner.create({ ...options, workers: 3 });
    learner.dispose();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), 5000)));
    expect(await Promise.race([learner.whenExited().then(() => 'exited'), timeout])).toBe('exited');
    clearTimeout(timer);
    const data = await bars();
    expect(() => learner.trainEpoch({ x: data.x, n: data.n, d: data.d, gamma: 1, delta: 1, rng: new Random(1), onProgress: () => undefined })).toThrow(/disposed/);
  });
});
