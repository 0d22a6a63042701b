/**
 * The learner whose encoder runs under onnxruntime, over whole epochs: on bars it reaches the
 * metrics of the TensorFlow.js learner (the same algorithm up to float rounding), both families; a
 * checkpoint of either continues in the other; a run is deterministic and resumes bit for bit; and
 * after dispose it refuses to train.
 */
import { describe, expect, it } from 'vitest';
import { loadDataSet } from '../../../src/data/data-set.ts';
import { dataDefaults } from '../../../src/schema/data-spec.ts';
import { testConfig } from '../../helpers/run-config.ts';
import { Random } from '../../../src/random.ts';
import { AmortizedLearner, type AmortizedOptions } from '../../../training/learners/amortized-learner.ts';
import { parseSchedule } from '../../../training/anneal/schedule.ts';
import type { AmortizedFamily } from '../../../graph/encoder-spec.ts';
import { NativeAmortizedLearner } from '../../../training/learners/native-amortized-learner.ts';
import type { Learner } from '../../../training/learners/learner.ts';
import type { MetricsRow } from '../../../training/run/run-files.ts';
import { trainLoop } from '../../../training/run/train-loop.ts';
import { tempDir } from '../../helpers/cli.ts';

const options = (family: AmortizedFamily): AmortizedOptions => ({
  encoder: { d: 25, h: 10, family, rank: 2, hidden: 32, inner: 48, blocks: 1 },
  batch: 250,
  learningRate: 3e-3,
  dictionaryLearningRate: 3e-2,
  seed: 3,
});

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

describe('training with the encoder under onnxruntime', () => {
  for (const family of ['diag', 'lowrank'] as const)
    it(`reaches the TensorFlow.js learner's metrics on bars (${family}, 2 threads, 4 epochs)`, async () => {
      const reference = await run(new AmortizedLearner(options(family)), 4);
      const native = await run(await NativeAmortizedLearner.create({ ...options(family), threads: 2 }), 4);
      expect(native[3]!.elbo).toBeGreaterThan(native[0]!.elbo);
      native.forEach((row, epoch) => {
        const expected = reference[epoch]!;
        for (const key of ['elbo', 'entropy_q', 'entropy_prior', 'entropy_likelihood', 'sigma2'] as const)
          expect(
            Math.abs(row[key] - expected[key]),
            `epoch ${epoch} ${key}: ${row[key]} vs ${expected[key]}`,
          ).toBeLessThan(1e-3 * Math.abs(expected[key]));
      });
    });

  it('continues a checkpoint of the TensorFlow.js learner, and that learner continues its checkpoint', async () => {
    const data = await bars();
    const context = (rng: Random) => ({
      x: data.x,
      n: data.n,
      d: data.d,
      gamma: 1,
      delta: 1,
      rng,
      onProgress: () => undefined,
    });
    const serial = new AmortizedLearner(options('lowrank'));
    const native = await NativeAmortizedLearner.create({ ...options('lowrank'), threads: 2, seed: 99 });
    try {
      serial.trainEpoch(context(new Random(1)));
      native.loadState(serial.saveState());
      const expected = serial.trainEpoch(context(new Random(2)));
      const actual = await native.trainEpoch(context(new Random(2)));
      expect(Math.abs(actual - expected)).toBeLessThan(1e-4 * Math.abs(expected));
      expect(native.saveState().state).toEqual(serial.saveState().state);
      serial.loadState(native.saveState());
      expect(
        Math.abs(serial.trainEpoch(context(new Random(3))) - (await native.trainEpoch(context(new Random(3))))),
      ).toBeLessThan(1e-3 * Math.abs(expected));
    } finally {
      serial.dispose();
      native.dispose();
    }
  });

  it('is deterministic, continues its own checkpoint bit for bit, and refuses to train once disposed', async () => {
    const data = await bars();
    const epoch = (learner: Learner, seed: number) =>
      learner.trainEpoch({
        x: data.x,
        n: data.n,
        d: data.d,
        gamma: 1,
        delta: 1,
        rng: new Random(seed),
        onProgress: () => undefined,
      });
    const create = (seed = 3) => NativeAmortizedLearner.create({ ...options('diag'), threads: 2, seed });
    const [whole, split, resumed] = [await create(), await create(), await create(99)];
    try {
      await epoch(whole, 1);
      await epoch(split, 1);
      expect(split.saveState()).toEqual(whole.saveState());
      resumed.loadState(split.saveState());
      expect(await epoch(resumed, 2)).toBe(await epoch(whole, 2));
      expect(resumed.saveState()).toEqual(whole.saveState());
    } finally {
      [whole, split].forEach((l) => l.dispose());
    }
    resumed.dispose();
    await expect(Promise.resolve().then(() => epoch(resumed, 3))).rejects.toThrow(/disposed/);
  });
});
