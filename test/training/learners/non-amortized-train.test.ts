/**
 * `train --no-amortized`: a short joint L-BFGS run on bars recovers every bar and reports the
 * ground-truth dictionary's ELBO; EM-like minibatch learning raises the ELBO; a run interrupted and
 * resumed from its checkpoint ends with the metrics of an uninterrupted one (both learners).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadDataSet } from '../../../src/data/data-set.ts';
import { dataDefaults } from '../../../src/schema/data-spec.ts';
import { testConfig } from '../../helpers/run-config.ts';
import { barsRecovery } from '../../../src/metrics/bars-recovery.ts';
import { Random } from '../../../src/random.ts';
import { PRESETS } from '../../../training/anneal/schedule.ts';
import { EmLearner } from '../../../training/learners/em-learner.ts';
import { ITERATIONS_PER_EPOCH } from '../../../training/learners/registry.ts';
import { spreadDefaults } from '../../../training/per-point/defaults.ts';
import { JointLearner } from '../../../training/learners/joint-learner.ts';
import { normalizeColumns } from '../../../training/objective/point-statistics.ts';
import { trainLoop } from '../../../training/run/train-loop.ts';
import type { MetricsRow } from '../../../training/run/run-files.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';

const dir = tempDir();

function metrics(out: string): MetricsRow[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as MetricsRow);
}

/** The metrics without the timings. */
function comparable(rows: MetricsRow[]): Array<Record<string, unknown>> {
  return rows.map(({ seconds: _s, samples_per_second: _r, eval_seconds: _e, ...rest }) => rest);
}

// 4×4 bars (D = 16, H = 8), 1000 points (with a few hundred, the bars are not the ELBO's optimum)
const BARS = ['--data', 'bars', '--bars-size', '4', '--latents', '8', '--no-amortized', '--seed', '3'];

describe('train --no-amortized (joint L-BFGS)', () => {
  it('recovers all bars with full covariances in one epoch of L-BFGS from k-lines', async () => {
    const data = await loadDataSet({ ...dataDefaults.bars, size: 4 }, 1);
    const { initialStd, spreadScale } = spreadDefaults(data.x);
    const learner = new JointLearner({
      family: 'full',
      h: 8,
      rank: 0,
      spreadScale,
      x: data.x,
      n: data.n,
      d: data.d,
      seed: 1,
      iterationsPerEpoch: ITERATIONS_PER_EPOCH,
      historySize: 10,
      initialStd,
      kLines: { restarts: 5, iterations: 20 },
    });
    const progress: number[] = [];
    learner.trainEpoch({
      x: data.x,
      n: data.n,
      d: data.d,
      gamma: 1,
      delta: 1,
      rng: new Random(1),
      onProgress: (_i, value) => progress.push(value),
    });
    expect(progress).toHaveLength(ITERATIONS_PER_EPOCH);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
    const w = tf.tidy(() => normalizeColumns(learner.dictionary).dataSync());
    expect(barsRecovery(w, data.d, 8, data.groundTruth!.w, 8).allRecovered).toBe(true);
    learner.dispose();
  });

  it('recovers all bars from the command line and reports the ground-truth ELBO', async () => {
    const out = join(dir, 'bars');
    const result = await runCli(['train', ...BARS, '--posterior', 'diag', '--epochs', '2', '--out', out]);
    expect(result.code).toBe(0);
    const rows = metrics(out);
    expect(rows).toHaveLength(2);
    const last = rows.at(-1)!;
    expect(last['bars_recovered']).toBe(8);
    expect(last['bars_total']).toBe(8);
    expect(last.elbo).toBeGreaterThanOrEqual(rows[0]!.elbo);
    const card = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
      ground_truth: { elbo: number; family: string };
      optimizer: { scope: string };
    };
    expect(card.optimizer.scope).toBe('joint');
    expect(card.ground_truth.family).toBe('diag');
    expect(Math.abs(last.elbo - card.ground_truth.elbo)).toBeLessThan(0.5);
  });

  it('resumes from its checkpoint to the metrics of an uninterrupted run', async () => {
    const whole = join(dir, 'whole');
    const split = join(dir, 'split');
    const args = [...BARS, '--posterior', 'diag', '--samples', '300'];
    expect((await runCli(['train', ...args, '--epochs', '3', '--out', whole])).code).toBe(0);
    expect((await runCli(['train', ...args, '--epochs', '1', '--out', split])).code).toBe(0);
    expect((await runCli(['train', ...args, '--epochs', '3', '--out', split, '--resume'])).code).toBe(0);
    expect(comparable(metrics(split))).toEqual(comparable(metrics(whole)));
    expect(readFileSync(join(split, 'dictionary.npy'))).toEqual(readFileSync(join(whole, 'dictionary.npy')));
  });
});

describe('EM-like learning', () => {
  async function run(out: string, epochs: number, resume: boolean): Promise<MetricsRow[]> {
    const data = await loadDataSet({ ...dataDefaults.bars, size: 3, samples: 120 }, 2);
    const learner = new EmLearner({
      family: 'diag',
      h: 6,
      rank: 0,
      n: data.n,
      d: data.d,
      seed: 2,
      batch: 50,
      learningRate: 0.02,
      eStepIterations: 10,
      historySize: 5,
      ...spreadDefaults(data.x),
    });
    try {
      const config = testConfig({ barsSize: 3, samples: 120, latents: 6, amortized: false, epochs, seed: 2 });
      return await trainLoop(data, learner, { out, schedule: PRESETS.none, resume, config, log: () => {} });
    } finally {
      learner.dispose();
    }
  }

  it('raises the ELBO over epochs and resumes exactly', async () => {
    const whole = await run(join(dir, 'em-whole'), 4, false);
    expect(whole.at(-1)!.elbo).toBeGreaterThan(whole[0]!.elbo);
    await run(join(dir, 'em-split'), 2, false);
    const resumed = await run(join(dir, 'em-split'), 4, true);
    expect(comparable(resumed)).toEqual(comparable(whole));
  });
});
