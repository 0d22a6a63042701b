/**
 * Amortized training end to end on bars: the files of cli.md, a rising ELBO, an exact --resume, and
 * a non-finite objective that stops with a message and keeps the last good checkpoint.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadDataSet } from '../../../src/data/data-set.ts';
import { readNpy } from '../../../src/npy/read.ts';
import { parseSchedule } from '../../../training/anneal/schedule.ts';
import { loadCheckpoint } from '../../../training/checkpoint/checkpoint-file.ts';
import type { Learner } from '../../../training/learners/learner.ts';
import { trainLoop } from '../../../training/run/train-loop.ts';
import { train, type TrainOptions } from '../../../training/commands/train.ts';
import { resolveRunConfig, type TrainFlags } from '../../../src/schema/run-config.ts';
import { dataDefaults } from '../../../src/schema/data-spec.ts';
import { tempDir } from '../../helpers/cli.ts';

const flags = (overrides: Partial<TrainFlags> = {}): TrainFlags => ({
  data: 'bars',
  latents: 10,
  posterior: 'diag',
  epochs: 4,
  batch: 250,
  lr: 3e-3,
  seed: 3,
  samples: 1000,
  blocks: 1,
  hidden: 32,
  inner: 48,
  ...overrides,
});

const base = (out: string, overrides: Partial<TrainFlags> = {}, resume = false): TrainOptions => ({
  config: resolveRunConfig(flags(overrides)),
  out,
  resume,
});

const stable = (rows: Array<Record<string, unknown>>) =>
  rows.map(({ seconds: _s, samples_per_second: _r, eval_seconds: _e, ...rest }) => rest);

const readMetrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);

describe('amortized training on bars', () => {
  it.each(['diag', 'lowrank'] as const)('writes every run file and the ELBO rises (%s)', async (posterior) => {
    const out = tempDir();
    await train(base(out, { posterior }));
    for (const file of [
      'metrics.jsonl',
      'dictionary.npy',
      'prior_scales.npy',
      'model.json',
      'fields.png',
      'curves.png',
      'checkpoint.ckpt',
    ])
      expect(statSync(join(out, file)).size, file).toBeGreaterThan(0);
    const metrics = readMetrics(out);
    expect(metrics).toHaveLength(4);
    for (const key of [
      'epoch',
      'elbo',
      'entropy_q',
      'entropy_prior',
      'entropy_likelihood',
      'gini_mean',
      'gini_sd',
      'gamma',
      'delta',
      'seconds',
      'samples_per_second',
    ])
      expect(metrics[0], key).toHaveProperty(key);
    expect(metrics[3]!.elbo).toBeGreaterThan(metrics[0]!.elbo);
    const w = await readNpy(join(out, 'dictionary.npy'));
    expect(w.shape).toEqual([25, 10]);
    for (let k = 0; k < 10; k++) {
      let norm = 0;
      for (let i = 0; i < 25; i++) norm += w.data[i * 10 + k]! ** 2;
      expect(norm).toBeCloseTo(1, 5);
    }
    expect((await readNpy(join(out, 'prior_scales.npy'))).shape).toEqual([10]);
    const card = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(card).toMatchObject({ d: 25, h: 10, family: posterior, seed: 3, data: { kind: 'bars' } });
    expect(card.sigma2).toBeCloseTo(metrics[3]!.sigma2, 10);
  });

  it('resumes from a checkpoint to exactly the metrics of an uninterrupted run', async () => {
    const whole = tempDir();
    await train(base(whole));
    const split = tempDir();
    await train(base(split, { epochs: 2 }));
    expect(readMetrics(split)).toHaveLength(2);
    await train(base(split, { epochs: 4 }, true));
    expect(stable(readMetrics(split))).toEqual(stable(readMetrics(whole)));
    expect(readFileSync(join(split, 'dictionary.npy'))).toEqual(readFileSync(join(whole, 'dictionary.npy')));
  });

  it('refuses to overwrite a run, and to resume with other settings', async () => {
    const out = tempDir();
    await train(base(out, { epochs: 1 }));
    await expect(train(base(out, { epochs: 1 }))).rejects.toThrow(/already holds a run.*--resume/);
    await expect(train(base(out, { epochs: 2, lr: 0.1 }, true))).rejects.toThrow(/different settings.*lr/);
  });
});

/** A learner whose epochs and saved state are the test's; it learns nothing. */
function stubLearner(
  dictionary: tf.Variable<tf.Rank.R2>,
  trainEpoch: Learner['trainEpoch'],
  saveState: Learner['saveState'],
): Learner {
  return {
    family: 'diag',
    rank: null,
    encoderWidths: null,
    dictionary,
    unitsPerEpoch: () => 1,
    trainEpoch,
    posterior: (x) => ({ family: 'diag', mean: tf.zeros([x.shape[0], 6]), std: tf.ones([x.shape[0], 6]) }),
    describe: () => ({}),
    saveState,
    loadState: () => undefined,
    dispose: () => undefined,
  };
}

/** The training loop of a stub learner over 20 bars patches (3 × 3, 6 latents), 3 epochs, into a new folder. */
async function stubRun(makeLearner: (dictionary: tf.Variable<tf.Rank.R2>) => Learner) {
  const data = await loadDataSet({ ...dataDefaults.bars, size: 3, samples: 20 }, 1);
  const dictionary = tf.variable(tf.randomNormal([9, 6], 0, 1, 'float32', 1)) as tf.Variable<tf.Rank.R2>;
  const out = tempDir();
  const config = resolveRunConfig({ data: 'bars', latents: 6, barsSize: 3, samples: 20, epochs: 3, seed: 1 });
  const options = { out, schedule: parseSchedule('none'), resume: false, config, log: () => undefined };
  return { out, dictionary, run: trainLoop(data, makeLearner(dictionary), options) };
}

describe('the training loop', () => {
  it('stops on a non-finite objective with a clear message and keeps the last good checkpoint', async () => {
    let epochsRun = 0;
    const { out, dictionary, run } = await stubRun((dictionary) =>
      stubLearner(
        dictionary,
        () => (++epochsRun === 2 ? NaN : -1),
        () => ({ state: { epochsRun }, arrays: {} }),
      ),
    );
    await expect(run).rejects.toThrow(
      /epoch 2 diverged \(the objective = NaN\).*checkpoint of epoch 1 are kept.*smaller --lr/,
    );
    const checkpoint = join(out, 'checkpoint.ckpt');
    expect(existsSync(checkpoint)).toBe(true);
    expect(readMetrics(out)).toHaveLength(1);
    dictionary.dispose();
  });

  it('keeps the last good checkpoint when the objective is finite but the parameters are not', async () => {
    const encoderWeight = Float32Array.of(1, 2, 3);
    let epochsRun = 0;
    const { out, dictionary, run } = await stubRun((dictionary) =>
      stubLearner(
        dictionary,
        () => {
          if (++epochsRun === 2) encoderWeight[1] = Infinity;
          return -1;
        },
        () => ({ state: { epochsRun }, arrays: { encoderWeight: encoderWeight.slice() } }),
      ),
    );
    await expect(run).rejects.toThrow(/epoch 2 diverged \(encoderWeight\[1\] = Infinity\)/);
    const saved = await loadCheckpoint<{ epoch: number }>(join(out, 'checkpoint.ckpt'));
    expect(saved.state.epoch).toBe(1);
    expect(Array.from(saved.arrays.encoderWeight!)).toEqual([1, 2, 3]);
    expect(readMetrics(out)).toHaveLength(1);
    dictionary.dispose();
  });
});
